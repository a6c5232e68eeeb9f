using SlsPrune.Core.Data.Images;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Data;

/// <summary>Checks of an image file made when a tree or CSV is opened, before any run starts: it must be a
/// regular file (links resolved; not a FIFO or device), readable, and start with a PNG, JPEG, BMP or GIF signature.
/// Each refusal names the file.</summary>
public static class ImageFiles
{
    public static void Check(string full)
    {
        string real;
        try
        {
            real = RealPath.Resolve(full);
        }
        catch (IOException e)
        {
            throw new SlsInputException(full, $"cannot be resolved: {e.Message}");
        }
        if (!File.Exists(real)) throw new SlsInputException(full, "image does not exist");
        if (InputFile.IsSystemPath(real)) throw new SlsInputException(full, $"leads to '{real}', a kernel interface under /proc, /sys or /dev, not "
            + $"an image");
        if (!FileKind.IsRegularFile(real)) throw new SlsInputException(full, "not a regular file (a FIFO, device or folder)");
        var head = new byte[16];
        int n;
        try
        {
            using var f = new FileStream(real, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SlsInputException(full, $"cannot read image: {e.Message}");
        }
        if (ImageDecoder.Sniff(head.AsSpan(0, n)) is null)
            throw new SlsInputException(full, n == 0 ? "empty file, not an image" : $"not an image ({ImageDecoder.Formats})");
    }
}
