using System.Text;

namespace SlsPrune.Core.Checkpoints;

/// <summary>What a file that is not a checkpoint is, told by its first bytes (and an ONNX file by its name too), so a
/// wrong file is named as what it is (an image, an ONNX model, text, a pruning index) instead of failing as a
/// malformed safetensors header. Null when the bytes are not one of these: the checkpoint readers' own messages
/// apply.</summary>
public static class ContentKind
{
    /// <summary>What <c>sls</c> reads as a checkpoint, for messages.</summary>
    public const string Readable = "sls reads safetensors, PyTorch .pt/.pth (torch.save zip), NumPy .npz, or a Hugging Face folder (config.json + "
        + "weights)";

    /// <summary>Bytes read from the start of the file to tell its kind.</summary>
    public const int HeadBytes = 512;

    /// <param name="head">the file's first bytes (up to <see cref="HeadBytes"/>).</param>
    /// <returns>e.g. "a PNG image", with a hint where sls has a use for the file; or null.</returns>
    public static string? Describe(ReadOnlySpan<byte> head, string path)
    {
        static bool At(ReadOnlySpan<byte> h, int offset, string ascii) =>
            h.Length >= offset + ascii.Length && h.Slice(offset, ascii.Length).SequenceEqual(Encoding.ASCII.GetBytes(ascii));

        if (head.Length >= 4 && head[0] == 0x89 && At(head, 1, "PNG")) return "a PNG image";
        if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) return "a JPEG image";
        if (At(head, 0, "GIF87a") || At(head, 0, "GIF89a")) return "a GIF image";
        if (At(head, 0, "RIFF") && At(head, 8, "WEBP")) return "a WebP image";
        if (At(head, 0, "II*\0") || At(head, 0, "MM\0*")) return "a TIFF image";
        if (At(head, 0, "BM") && head.Length >= 14 && head[6] == 0 && head[7] == 0 && head[8] == 0 && head[9] == 0) return "a BMP image";
        if (head.Length >= 4 && head[0] == 0x89 && At(head, 1, "HDF")) return "an HDF5 file (a Keras .h5?)";
        if (At(head, 0, "GGUF")) return "a GGUF model (llama.cpp)";
        if (At(head, 0, "%PDF")) return "a PDF document";
        if (head.Length >= 2 && head[0] == 0x1F && head[1] == 0x8B) return "a gzip archive (unpack it first)";
        if (string.Equals(Path.GetExtension(path), ".onnx", StringComparison.OrdinalIgnoreCase)
            || (head.Length >= 3 && head[0] == 0x08 && head[1] < 0x80 && head[2] == 0x12))
            return "an ONNX model (sls eval --engine onnxruntime --model FILE evaluates one)";
        if (IsText(head))
        {
            string text = Encoding.UTF8.GetString(head).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
            if (text.StartsWith('{') && text.Contains("\"slsprune-index\"", StringComparison.Ordinal)) return "a pruning index (JSON; give it to "
                + "--index)";
            if (text.StartsWith('{') || text.StartsWith('[')) return "a JSON file";
            return "a text file";
        }
        return null;
    }

    /// <summary>Printable UTF-8 with line breaks and tabs: no control byte, no invalid sequence (a cut-off last character
    /// allowed). A safetensors file's first 8 bytes are a little-endian length, whose high bytes are zero.</summary>
    private static bool IsText(ReadOnlySpan<byte> head)
    {
        if (head.Length == 0) return false;
        foreach (byte b in head)
            if (b < 0x20 && b is not (byte)'\n' and not (byte)'\r' and not (byte)'\t') return false;
        try
        {
            var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
            int cut = head.Length;
            // drop a multi-byte character cut off at the end of the sample
            for (int i = 1; i <= 3 && i <= head.Length; i++)
                if ((head[^i] & 0xC0) == 0xC0) { cut = head.Length - i; break; }
                else if ((head[^i] & 0x80) == 0) break;
            strict.GetString(head[..cut]);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
