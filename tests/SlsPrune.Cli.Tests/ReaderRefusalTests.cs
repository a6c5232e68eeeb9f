using System.Text;
using System.Text.Json.Nodes;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// Readers that accepted what they should refuse (a hostile audit): a truncated BMP, a BMP claiming 9000x9000 pixels in 154
/// bytes, a BMP of height -2^31 (a .NET overflow at exit 1); an ONNX file whose metadata <c>image_size</c> contradicts its
/// graph (ONNX Runtime's text at exit 1) or whose <c>flops</c> is negative (shown as <c>-0.00 M</c>); a Hugging Face
/// config with <c>layer_norm_eps</c> 1e300 (top-1 at chance) or a <c>patch_size</c> the weights contradict. Each is now
/// exit 2 with its one line, nothing on stdout.
/// </summary>
public sealed class ReaderRefusalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sls-readers-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static string[] Model => ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl", CliRunner.Fixture("convpass.safetensors"),
        "--heads", "3"];

    private static void Refused(string line, params string[] args)
    {
        var (code, stdout, err) = CliRunner.Run(args);
        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Equal(line, err.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.DoesNotContain("Exception", err, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }

    /// <summary>A task whose one split lists the one image <paramref name="bytes"/>.</summary>
    private string TaskOf(string name, byte[] bytes)
    {
        string task = Directory.CreateDirectory(Path.Combine(_dir, "task-" + name)).FullName;
        Directory.CreateDirectory(Path.Combine(task, "images"));
        File.WriteAllBytes(Path.Combine(task, "images", name), bytes);
        File.WriteAllText(Path.Combine(task, "train800val200.txt"), $"images/{name} 0\n");
        return task;
    }

    private static byte[] Bmp(int w, int h)
    {
        int stride = (w * 3 + 3) & ~3;
        var b = new byte[54 + stride * h];
        "BM"u8.CopyTo(b);
        BitConverter.GetBytes(b.Length).CopyTo(b, 2);
        BitConverter.GetBytes(54).CopyTo(b, 10);
        BitConverter.GetBytes(40).CopyTo(b, 14);
        BitConverter.GetBytes(w).CopyTo(b, 18);
        BitConverter.GetBytes(h).CopyTo(b, 22);
        BitConverter.GetBytes((short)1).CopyTo(b, 26);
        BitConverter.GetBytes((short)24).CopyTo(b, 28);
        return b;
    }

    [Fact]
    public void Bmps_cut_short_claiming_more_than_they_hold_or_of_height_minus_two_to_the_31_are_refused()
    {
        string trunc = TaskOf("trunc.bmp", Bmp(40, 40)[..2000]);
        Refused($"sls: {trunc}/images/trunc.bmp: corrupt image: BMP pixel data is shorter than its 40x40 header implies: the file has 2000 bytes, "
            + "4854 needed (truncated)", ["eval", .. Model, "--data", trunc, "--split", "train800val200", "--device", "cpu"]);

        var claim = new byte[154];
        Bmp(1, 1).CopyTo(claim, 0);
        BitConverter.GetBytes(9000).CopyTo(claim, 18);
        BitConverter.GetBytes(9000).CopyTo(claim, 22);
        string big = TaskOf("bmp_9000.bmp", claim);
        Refused($"sls: {big}/images/bmp_9000.bmp: corrupt image: BMP pixel data is shorter than its 9000x9000 header implies: the file has 154 "
            + "bytes, 243000054 needed (truncated)", ["eval", .. Model, "--data", big, "--split", "train800val200", "--device", "cpu"]);

        BitConverter.GetBytes(40).CopyTo(claim, 18);
        BitConverter.GetBytes(int.MinValue).CopyTo(claim, 22);
        string minint = TaskOf("bmp_minint.bmp", claim);
        Refused($"sls: {minint}/images/bmp_minint.bmp: corrupt image: BMP claims 40x2147483648 pixels, more than the 89478485 limit (a "
            + "decompression bomb?)", ["eval", .. Model, "--data", minint, "--split", "train800val200", "--device", "cpu"]);
    }

    /// <summary>The ONNX export of the shipped model with the metadata value of <paramref name="key"/> replaced by
    /// <paramref name="value"/> of the same length (the protobuf's lengths stay true).</summary>
    private string OnnxWith(string key, string value)
    {
        string onnx = Path.Combine(_dir, "model.onnx");
        if (!File.Exists(onnx))
        {
            var export = CliRunner.Run("export", "--backbone", ShippedModel.File("backbone.safetensors"), "--petl",
                ShippedModel.File("structured-location.convpass.safetensors"), "--format", "onnx", "--out", onnx);
            Assert.True(export.Code == 0, export.Err);
        }
        var bytes = File.ReadAllBytes(onnx);
        byte[] entry = [0x0A, (byte)key.Length, .. Encoding.ASCII.GetBytes(key), 0x12, (byte)value.Length];
        int at = bytes.AsSpan().IndexOf(entry);
        Assert.True(at > 0, $"no metadata '{key}' of {value.Length} characters");
        Encoding.ASCII.GetBytes(value).CopyTo(bytes, at + entry.Length);
        string edited = Path.Combine(_dir, $"{key}.onnx");
        File.WriteAllBytes(edited, bytes);
        return edited;
    }

    [Fact]
    public void Onnx_metadata_that_contradicts_the_graph_or_is_negative_is_refused_at_load()
    {
        string task = ShippedModel.File("calibration", "structured-location");
        string size = OnnxWith("image_size", "64");
        Refused($"sls: {size}: metadata 'image_size' 64 contradicts the graph's input 'images' of shape [?, 3, 32, 32]",
            "eval", "--engine", "onnxruntime", "--model", size, "--data", task, "--split", "train800val200");
        string flops = OnnxWith("flops", "-5000000");
        Refused($"sls: {flops}: metadata 'flops' -5000000 is not a count (a whole number from 0)",
            "eval", "--engine", "onnxruntime", "--model", flops, "--data", task, "--split", "train800val200");
        string blocks = OnnxWith("blocks", "9");
        var ok = CliRunner.Run("eval", "--engine", "onnxruntime", "--model", blocks, "--data", task, "--split", "train800val200", "--json");
        Assert.True(ok.Code == 0, ok.Err);
        Assert.Equal(9, JsonNode.Parse(ok.Out)!["blocks"]!.GetValue<int>());
    }

    /// <summary>A copy of the Hugging Face fixture with its config's <paramref name="key"/> set to <paramref name="value"/>.</summary>
    private string HfWith(string key, JsonNode value)
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, $"hf-{key}-{value.ToJsonString()}")).FullName;
        foreach (var f in Directory.GetFiles(CliRunner.Layout("hf_vit"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        string config = Path.Combine(folder, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        json[key] = value;
        File.WriteAllText(config, json.ToJsonString());
        return folder;
    }

    [Fact]
    public void A_hugging_face_configs_absurd_eps_or_patch_size_the_weights_contradict_is_refused()
    {
        string eps = HfWith("layer_norm_eps", 1e300);
        Refused($"sls: {eps}/config.json: layer_norm_eps 1E+300 is not within (0, 0.1]: a LayerNorm's epsilon is a small positive number (1e-12 "
            + "to 1e-5 in practice)", "inspect", eps);
        string patch = HfWith("patch_size", 64);
        Refused($"sls: {patch}/config.json: patch_size 64 contradicts the weights' patch embedding of 8x8 pixels", "inspect", patch);
        var ok = CliRunner.Run("inspect", HfWith("layer_norm_eps", 0.1));
        Assert.True(ok.Code == 0, ok.Err);
    }
}
