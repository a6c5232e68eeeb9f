using SlsPrune.Core.IO;
using SlsPrune.Core.Runtime;
using TorchSharp;

namespace SlsPrune.Core.Data.Images;

/// <summary>torchvision's <c>Resize((H, W), BICUBIC)</c> + <c>ToTensor()</c> + <c>Normalize(mean, std)</c> on
/// RGB images: the model input, [batch, 3, H, W] float32. Decoding and resizing run in parallel; the order of
/// the batch is the order of the inputs.</summary>
public sealed class Preprocessor
{
    private readonly float[][] _lut;

    public Preprocessor(int size, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (mean.Count != 3 || std.Count != 3) throw new ArgumentException("mean and std need three channels");
        Size = size;
        // ToTensor divides by 255 in float32; Normalize subtracts the mean then divides by std. The result
        // depends only on the byte, so it is computed once per channel and byte value.
        _lut = Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, 256).Select(v => (v / 255f - mean[c]) / std[c]).ToArray()).ToArray();
    }

    public static Preprocessor For(InputSpec input) => new(input.ImageSize, input.Mean, input.Std);

    public int Size { get; }

    /// <summary>Decoded, resized RGB bytes to a normalised tensor, in the given order.</summary>
    public torch.Tensor ToTensor(IReadOnlyList<RgbImage> resized, int? threads = null)
    {
        int plane = Size * Size;
        var data = new float[resized.Count * 3 * plane];
        ParallelWork.For(resized.Count, i =>
        {
            var px = resized[i].Pixels;
            if (resized[i].Width != Size || resized[i].Height != Size) throw new ArgumentException("image is not at the model's input size");
            for (int c = 0; c < 3; c++)
            {
                var lut = _lut[c];
                var dst = data.AsSpan((i * 3 + c) * plane, plane);
                for (int p = 0; p < plane; p++) dst[p] = lut[px[p * 3 + c]];
            }
        }, threads);
        return torch.tensor(data, [resized.Count, 3, Size, Size]);
    }

    /// <summary>Files to a batch: read, decode and resize on all cores, then normalise.</summary>
    public torch.Tensor Load(IReadOnlyList<string> paths) => Load(paths, false);

    /// <param name="exifTranspose">turn JPEGs upright by their EXIF orientation first.</param>
    /// <param name="threads">decode on at most this many threads (default: the thread budget).</param>
    public torch.Tensor Load(IReadOnlyList<string> paths, bool exifTranspose, int? threads = null)
    {
        var images = new RgbImage[paths.Count];
        ParallelWork.For(paths.Count, i =>
        {
            byte[] bytes;
            try
            {
                bytes = InputFile.ReadAllBytes(paths[i], InputFile.MaxImageBytes, "an image file");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SlsInputException(paths[i], $"cannot read image: {e.Message}");
            }
            // decoded under a lease of its pixels, and resized before the lease ends: huge images take turns, whatever the threads
            using (DecodeBudget.Acquire(ImageDecoder.ClaimedPixels(bytes)))
                images[i] = PilBicubicResize.Resize(ImageDecoder.Decode(bytes, paths[i], exifTranspose), Size, Size);
        }, threads);
        return ToTensor(images, threads);
    }
}
