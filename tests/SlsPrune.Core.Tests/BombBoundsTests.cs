using System.IO.Compression;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;

namespace SlsPrune.Core.Tests;

/// <summary>Bombs are refused, or handled, within a memory bound: the bytes this thread allocates are measured
/// around the call.</summary>
public class BombBoundsTests
{
    private static long Allocated(Action a)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        a();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void A_degenerate_aspect_ratio_does_not_size_a_coefficient_table()
    {
        var image = new RgbImage(4_000_000, 1, new byte[12_000_000]); // a table of every output's weights: 224 x 35,717 ints
        RgbImage? resized = null;
        long bytes = Allocated(() => resized = PilBicubicResize.Resize(image, 224, 224));
        Assert.Equal(224, resized!.Width);
        Assert.True(bytes < 2_000_000, $"{bytes} bytes allocated");
    }

    [Fact]
    public void A_gzip_idx_that_inflates_past_its_header_stops_there()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("sls-idx-").FullName, "labels-idx1-ubyte.gz");
        using (var f = File.Create(path))
        using (var gz = new GZipStream(f, CompressionLevel.Optimal))
        {
            gz.Write([0, 0, 8, 1, 0, 0, 0x03, 0xE8]); // unsigned bytes, shape [1000]
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) gz.Write(zeros); // then 64 MB
        }
        SlsInputException? e = null;
        long bytes = Allocated(() => e = Assert.Throws<SlsInputException>(() => IdxFile.Read(path)));
        Assert.Equal($"{path}: gzip data runs past the 1008 bytes the IDX header describes: corrupt or crafted", e!.Message);
        Assert.True(bytes < 4_000_000, $"{bytes} bytes allocated");
        Directory.Delete(Path.GetDirectoryName(path)!, true);
    }

    [Fact]
    public void A_png_whose_data_inflates_past_its_size_stops_there()
    {
        // a 1x1 RGB PNG whose image data inflates to 64 MB
        byte[] raw = new byte[64 << 20];
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);
        byte[] Chunk(string type, byte[] body) =>
            [.. BitConverter.GetBytes(body.Length).Reverse(), .. System.Text.Encoding.ASCII.GetBytes(type), .. body,
                .. BitConverter.GetBytes(PngCrc.Of(System.Text.Encoding.ASCII.GetBytes(type), body)).Reverse()];
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, .. Chunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]),
            .. Chunk("IDAT", ms.ToArray()), .. Chunk("IEND", [])];
        RgbImage? image = null;
        long bytes = Allocated(() => image = PngDecoder.Decode(png));
        Assert.Equal(1, image!.Width);
        Assert.True(bytes < 4_000_000, $"{bytes} bytes allocated");
    }
}
