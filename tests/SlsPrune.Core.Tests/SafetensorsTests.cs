using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using SlsPrune.Core.Checkpoints;
using TorchSharp;

namespace SlsPrune.Core.Tests;

public class SafetensorsTests
{
    [Fact]
    public void Every_dtype_decodes_to_the_values_pytorch_wrote()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.File("dtypes.json")));
        using var f = SafetensorsFile.Open(Fixtures.File("dtypes.safetensors"));
        Assert.Equal("dtype coverage", f.Metadata["purpose"]);
        int checkedCount = 0;
        foreach (var e in doc.RootElement.EnumerateObject())
        {
            using var t = f.Read(e.Name);
            var shape = e.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            Assert.Equal(shape, t.shape);
            var expected = e.Value.GetProperty("values").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            var actual = t.to(torch.float64).flatten().data<double>().ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
            checkedCount++;
        }
        Assert.Equal(18, checkedCount);
        Assert.Equal(TensorDType.BF16, f.Tensors.Single(t => t.Name == "bf16").DType);
        Assert.Equal(TensorDType.F8E4M3, f.Tensors.Single(t => t.Name == "f8_e4m3").DType);
    }

    [Fact]
    public void Writer_round_trips_tensors_and_metadata()
    {
        var dir = Directory.CreateTempSubdirectory("sls-st-").FullName;
        string path = Path.Combine(dir, "out.safetensors");
        var tensors = new Dictionary<string, torch.Tensor>
        {
            ["b.weight"] = torch.arange(12, dtype: torch.float32).reshape(3, 4),
            ["a.half"] = torch.tensor(new float[] { 1.5f, -2f }).to(torch.float16),
            ["c.long"] = torch.tensor(new long[] { 1L << 40, -3 }),
        };
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["petl_method"] = "convpass" });
        using var f = SafetensorsFile.Open(path);
        Assert.Equal("convpass", f.Metadata["petl_method"]);
        Assert.Equal(new[] { "a.half", "b.weight", "c.long" }, f.Tensors.Select(t => t.Name).ToArray());
        foreach (var (k, v) in tensors) Assert.True(Fixtures.Same(v, f.Read(k)), k);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        // header length is padded so data starts 8-byte aligned
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path).AsSpan(0, 8));
        Assert.Equal(0UL, n % 8);
    }

    private static string WriteRaw(byte[] bytes)
    {
        var dir = Directory.CreateTempSubdirectory("sls-bad-").FullName;
        string p = Path.Combine(dir, "bad.safetensors");
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private static byte[] Build(string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var b = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)h.Length);
        h.CopyTo(b, 8);
        return b;
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "truncated")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "not described")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
        12, "overlapping")]
    [InlineData("{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unsupported dtype 'Q7'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "invalid shape")]
    [InlineData("{\"a\":{\"dtype\":\"F32\"", 8, "not valid JSON")]
    [InlineData("[1,2]", 0, "not a JSON object")]
    [InlineData("{\"__metadata__\":{\"k\":3}}", 0, "not a string")]
    public void Inconsistent_files_are_refused_with_the_problem(string header, int dataBytes, string expected)
    {
        string p = WriteRaw(Build(header, dataBytes));
        var e = Assert.Throws<SlsInputException>(() => SafetensorsFile.Open(p).Dispose());
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(p, e.Subject);
    }

    [Fact]
    public void Header_length_beyond_the_file_is_refused()
    {
        var b = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(b, 1_000_000);
        var e = Assert.Throws<SlsInputException>(() => SafetensorsFile.Open(WriteRaw(b)).Dispose());
        Assert.Contains("exceeds the file size", e.Message, StringComparison.Ordinal);
        var tiny = Assert.Throws<SlsInputException>(() => SafetensorsFile.Open(WriteRaw(new byte[3])).Dispose());
        Assert.Contains("too short", tiny.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncating_a_real_file_anywhere_gives_an_input_error()
    {
        byte[] full = File.ReadAllBytes(Fixtures.File("convpass.safetensors"));
        foreach (int cut in new[] { 0, 5, 9, 100, full.Length / 2, full.Length - 1 })
        {
            string p = WriteRaw(full[..cut]);
            Assert.Throws<SlsInputException>(() => CheckpointFile.Open(p).Dispose());
        }
    }

    [Fact]
    public void A_header_length_starting_0x80_0x02_is_still_safetensors()
    {
        // 640 = 0x280: the file starts 0x80 0x02, as a pickle's PROTO 2 does (found by a VPT file in the pipeline)
        string dir = Directory.CreateTempSubdirectory("sls-st-").FullName;
        string p = Path.Combine(dir, "x.safetensors");
        using var t = torch.arange(4, dtype: torch.float32);
        for (int pad = 0; pad < 700; pad++)
        {
            SafetensorsWriter.Write(p, new Dictionary<string, torch.Tensor> { ["w"] = t }, new Dictionary<string, string>
            {
                ["pad"] = new string('x',
                pad)
            });
            if (BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(p).AsSpan(0, 8)) == 640) break;
        }
        Assert.Equal(new byte[] { 0x80, 0x02 }, File.ReadAllBytes(p)[..2]);
        using var f = CheckpointFile.Open(p);
        Assert.Equal(CheckpointFormat.Safetensors, f.Format);
        using var w = f.Read("w");
        Assert.Equal(new float[] { 0, 1, 2, 3 }, w.data<float>().ToArray());
        // a real legacy torch.save file (PROTO 2, then the magic number as LONG1) is still named as such
        string legacy = Path.Combine(dir, "old.pt");
        File.WriteAllBytes(legacy, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
        var e = Assert.Throws<SlsInputException>(() => CheckpointFile.Open(legacy));
        Assert.Contains("legacy (pre-1.6, non-zip) torch.save format", e.Message, StringComparison.Ordinal);
    }
}
