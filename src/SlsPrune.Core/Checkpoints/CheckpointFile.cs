using System.IO.Compression;
using SlsPrune.Core.IO;
using TorchSharp;

namespace SlsPrune.Core.Checkpoints;

/// <summary>Opens a checkpoint by its content (not its extension): safetensors, a torch.save zip, or an npz.</summary>
public static class CheckpointFile
{
    public static ICheckpoint Open(string path)
    {
        if (!File.Exists(path)) throw new SlsInputException(path, "file not found");
        var magic = new byte[ContentKind.HeadBytes];
        int n;
        using (var f = InputFile.OpenRead(path, "a checkpoint")) n = f.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        if (n >= 4 && magic[0] == 'P' && magic[1] == 'K')
        {
            ZipArchive zip;
            try
            {
                zip = ZipFile.OpenRead(path);
            }
            catch (InvalidDataException e)
            {
                throw new SlsInputException(path, $"not a readable zip archive ({e.Message}): truncated or corrupt");
            }
            try
            {
                // torch.save archives hold data.pkl, or at least its byteorder / version / data/ entries
                bool torchLike = zip.Entries.Any(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal) || e.FullName.EndsWith("/byteorder",
                    StringComparison.Ordinal)
                    || e.FullName.EndsWith("/version", StringComparison.Ordinal) || e.FullName.Contains("/data/", StringComparison.Ordinal));
                return torchLike ? PyTorchZipFile.Open(path, zip) : NpzFile.Open(path, zip);
            }
            catch (InvalidDataException e)
            {
                zip.Dispose();
                throw new SlsInputException(path, $"corrupt zip archive ({e.Message})");
            }
            catch
            {
                zip.Dispose();
                throw;
            }
        }
        // A legacy torch.save file is a pickle: PROTO 2 then the magic number as LONG1 (0x80 0x02 0x8a). A
        // safetensors file whose header length happens to start 0x80 0x02 has '{' at byte 8 instead.
        if (n >= 3 && magic[0] == 0x80 && magic[1] <= 5 && magic[2] == 0x8a && !(n >= 9 && magic[8] == '{'))
            throw new SlsInputException(path, "legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a current PyTorch");
        // not a safetensors file (whose JSON header starts at byte 8) but something else a person may give by mistake: named
        if (!(n >= 9 && magic[8] == '{') && ContentKind.Describe(magic.AsSpan(0, n), path) is string kind)
            throw new SlsInputException(path, $"is {kind}, not a checkpoint; {ContentKind.Readable}");
        return SafetensorsFile.Open(path);
    }

    /// <summary>Reads every tensor (or those <paramref name="include"/> accepts) into a name-to-tensor dictionary.</summary>
    public static Dictionary<string, torch.Tensor> ReadAll(ICheckpoint checkpoint, Func<string, bool>? include = null)
    {
        var result = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (var t in checkpoint.Tensors)
            if (include is null || include(t.Name))
                result[t.Name] = checkpoint.Read(t.Name);
        return result;
    }
}
