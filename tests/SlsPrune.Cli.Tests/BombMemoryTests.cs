using System.Text;
using System.Text.RegularExpressions;

namespace SlsPrune.Cli.Tests;

/// <summary>Bombs are refused with one line within a bound on the process's peak memory: <c>sls</c> runs as a child
/// process, which reports its VmHWM (/proc/self/status) with <c>--verbose</c>, and the peak is compared with the same
/// command refusing a small broken input of the same kind.</summary>
public partial class BombMemoryTests
{
    /// <summary>What a bomb may cost beyond the refusal of a small broken file by the same command.</summary>
    private const long MarginKb = 64 * 1024;

    private static (int Code, string FirstLine, long PeakKb) RunChild(params string[] args)
    {
        var err = new StringBuilder();
        using var p = KillDuringWriteTests.Start([.. args, "--verbose"], line => { lock (err) err.AppendLine(line); });
        Assert.True(p.WaitForExit(120_000), "did not finish within two minutes");
        p.WaitForExit();
        string text;
        lock (err) text = err.ToString();
        var peak = PeakLine().Match(text);
        Assert.True(peak.Success, $"no peak memory line: {text}");
        string first = text.Split('\n').Select(l => l.TrimEnd()).First(l => l.StartsWith("sls: /", StringComparison.Ordinal));
        return (p.ExitCode, first, long.Parse(peak.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"peak memory \(VmHWM\): (\d+) kB")]
    private static partial Regex PeakLine();

    private static void Bounded(string what, (int Code, string FirstLine, long PeakKb) bomb, (int Code, string FirstLine, long PeakKb) small,
        string expected)
    {
        Assert.Equal(2, bomb.Code);
        Assert.Equal(2, small.Code);
        Assert.Equal(expected, bomb.FirstLine);
        Assert.True(bomb.PeakKb < small.PeakKb + MarginKb, $"{what}: peak {bomb.PeakKb} kB against {small.PeakKb} kB for a small broken file");
    }

    [Fact]
    public void A_pickle_nesting_bomb_is_refused_within_the_bound()
    {
        string hostile = Path.Combine(AppContext.BaseDirectory, "hostile");
        string deep = Path.Combine(hostile, "pickle-deep-dicts.pt"); // 200,000 nested dicts from a few kB
        Bounded("pickle", RunChild("inspect", deep), RunChild("inspect", Path.Combine(hostile, "pickle-self-dict.pt")),
            $"sls: {deep}: pickle nests more than 200 containers inside one another; a state dict nests a few (refusing to go on)");
    }

    [Fact]
    public void A_yaml_alias_bomb_is_refused_within_the_bound()
    {
        string dir = Directory.CreateTempSubdirectory("sls-laughs-").FullName;
        // billion laughs: 10 levels, each alias list ten times the one before (10^10 nodes expanded)
        var y = new StringBuilder("backbone: b\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i <= 9; i++) y.Append(CultureInfo($"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]\n"));
        y.Append("tasks: [{name: a, data: t}]\n");
        string bomb = Path.Combine(dir, "laughs.yaml"), small = Path.Combine(dir, "small.yaml");
        File.WriteAllText(bomb, y.ToString());
        File.WriteAllText(small, "backbone: b\nl0: &l0 [lol]\nl1: *l0\nl1: *l0\n"); // a key given twice
        Bounded("yaml", RunChild("batch", "--manifest", bomb, "--out", Path.Combine(dir, "out")), RunChild("batch", "--manifest", small, "--out",
            Path.Combine(dir, "out")),
            $"sls: {bomb}: not valid YAML (line 6, column 45: the document holds more than 100000 nodes with its aliases expanded (a \"billion "
                + $"laughs\" file?))");
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    public void An_onnx_constant_of_shape_bomb_is_refused_within_the_bound()
    {
        string hostile = Path.Combine(AppContext.BaseDirectory, "hostile");
        string bomb = Path.Combine(hostile, "onnx-constant-of-shape.onnx"); // a few hundred bytes asking for 10^10 floats
        string[] Eval(string model) => ["eval", "--engine", "onnxruntime", "--model", model, "--data", Path.Combine(hostile, "task-ok"), "--split",
            "train800val200"];
        Bounded("onnx", RunChild(Eval(bomb)), RunChild(Eval(Path.Combine(hostile, "onnx-not-protobuf.onnx"))),
            $"sls: {bomb}: ConstantOfShape output has shape [100000, 100000], more than 134217728 elements");
    }

    private static string CultureInfo(FormattableString s) => FormattableString.Invariant(s);

    [Fact]
    public void A_jpeg_with_thousands_of_scans_is_refused_within_the_bound()
    {
        byte[] grey = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", "images", "grey.jpg"));
        int sos = Enumerable.Range(0, grey.Length - 1).First(i => grey[i] == 0xFF && grey[i + 1] == 0xDA);
        int eoi = grey.Length - 2;
        Assert.Equal([0xFF, 0xD9], grey[eoi..]);
        var scans = new List<byte>(grey[..sos]);
        for (int i = 0; i < 5000; i++) scans.AddRange(grey[sos..eoi]); // 5,000 scans: each a pass over the image
        scans.AddRange(grey[eoi..]);
        string task = PruneEvalCommandTests.Task(12, 3), broken = PruneEvalCommandTests.Task(12, 3);
        string image = Path.Combine(task, "images", "0_0.png");
        File.WriteAllBytes(image, [.. scans]);
        File.WriteAllBytes(Path.Combine(broken, "images", "0_0.png"), grey[..(grey.Length / 2)]); // a truncated JPEG
        string[] Prune(string data) => ["prune", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl",
            CliRunner.Fixture("convpass.safetensors"),
            "--heads", "3", "--device", "cpu", "--data", data, "--out", Path.Combine(data, "index.sls.json")];
        Bounded("jpeg", RunChild(Prune(task)), RunChild(Prune(broken)),
            $"sls: {image}: corrupt image: JPEG has more than 500 scans (a decompression bomb?)");
    }
}
