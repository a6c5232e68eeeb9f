using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// Rule two for what a user asks: an option the run would ignore answers another question than the one asked, at exit
/// 0. Each case here ran before (found by a hostile audit): another prune method's option (<c>--keep-blocks</c> with
/// SLS kept 5 blocks, not 3), a manifest setting of another method, a manifest's <c>petl_scale</c> over a given PETL
/// file's own (ignored, and shown as the manifest's method), build options with an ONNX file, and an index computed at
/// 64 px evaluated at the checkpoint's 32. Now each is refused with its one line before any work.
/// </summary>
public class IgnoredOptionTests
{
    private static readonly string Backbone = ShippedModel.Backbone, Petl = ShippedModel.Petl, Task = ShippedModel.Task;

    private static string[] Prune(string outFile, params string[] more) =>
        ["prune", "--backbone", Backbone, "--petl", Petl, "--data", Task, "--out", outFile, "--device", "cpu", .. more];

    [Fact]
    public void Another_prune_methods_option_is_refused_naming_the_methods_that_take_it()
    {
        string dir = Directory.CreateTempSubdirectory("sls-ignored-").FullName;
        string index = Path.Combine(dir, "i.sls.json");
        var (code, stdout, err) = CliRunner.Run(Prune(index, "--keep-blocks", "3"));
        Assert.Equal(2, code);
        Assert.Equal("sls: --keep-blocks: does not apply to method sls (it is an option of bi, cka, probe, aglp)", CliRunner.LastLine(err));
        Assert.Equal("", stdout);
        (code, _, err) = CliRunner.Run(Prune(index, "--method", "bi", "--perplexity", "5"));
        Assert.Equal((2, "sls: --perplexity: does not apply to method bi (it is an option of sls)"), (code, CliRunner.LastLine(err)));
        (code, _, err) = CliRunner.Run(Prune(index, "--method", "bi", "--alpha", "0.1,0.3"));
        Assert.Equal((2, "sls: --alpha: takes one value for method bi (a list is for sls)"), (code, CliRunner.LastLine(err)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    private static string Manifest(string dir, object defaults, params object[] tasks)
    {
        string path = Path.Combine(dir, "m.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { backbone = Backbone, defaults, tasks }));
        return path;
    }

    private static (int Code, string Out, string Err) DryRun(string manifest) =>
        CliRunner.Run("batch", "--manifest", manifest, "--out", Path.Combine(Path.GetDirectoryName(manifest)!, "results"), "--dry-run");

    [Fact]
    public void A_manifest_setting_of_another_method_is_refused_where_no_task_would_read_it()
    {
        string dir = Directory.CreateTempSubdirectory("sls-ignored-").FullName;
        object Task(string name, object settings) => new { name, data = IgnoredOptionTests.Task, petl = Petl, settings };
        object stages = new[] { "prune", "eval" };
        const string split = "train800val200";

        string own = Manifest(dir, new { stages, device = "cpu", eval_split = split }, Task("a", new { method = "bi", perplexity = 5 }));
        var (code, _, err) = DryRun(own);
        Assert.Equal((2, $"sls: {own}: task 'a': setting 'perplexity' does not apply to its method bi (it is a setting of sls)"),
            (code, CliRunner.LastLine(err)));

        string defaults = Manifest(dir, new { stages, device = "cpu", eval_split = split, perplexity = 5 },
            Task("a", new { method = "bi" }));
        (code, _, err) = DryRun(defaults);
        Assert.Equal((2, $"sls: {defaults}: default setting 'perplexity' applies to no task's method (it is a setting of sls; the tasks run bi)"),
            (code, CliRunner.LastLine(err)));

        // a default that one task's method reads is fine: alpha is sls's and bi's
        string shared = Manifest(dir, new { stages, device = "cpu", eval_split = split, alpha = 0.3 }, Task("a", new { method = "bi" }),
            Task("b", new { }));
        (code, var stdout, err) = DryRun(shared);
        Assert.True(code == 0, err);
        Assert.Contains($"petl convpass, {Petl}", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_manifest_petl_scale_that_contradicts_the_given_file_is_refused_by_the_dry_run()
    {
        string dir = Directory.CreateTempSubdirectory("sls-ignored-").FullName;
        object stages = new[] { "eval" };
        const string split = "train800val200";
        string m = Manifest(dir, new { stages, device = "cpu", eval_split = split },
            new { name = "a", data = Task, petl = Petl, settings = new { petl_scale = 10 } });
        var (code, _, err) = DryRun(m);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {m}: task 'a': {Petl}: petl_scale 10 disagrees with the file's petl_scale 1 (the scale its adapters were trained "
            + "with)", CliRunner.LastLine(err));
        string same = Manifest(dir, new { stages, device = "cpu", eval_split = split },
            new { name = "a", data = Task, petl = Petl, settings = new { petl_scale = 1 } });
        Assert.Equal(0, DryRun(same).Code);
    }

    [Fact]
    public void Build_options_with_an_onnx_file_are_refused()
    {
        foreach (var (option, value) in new[] { ("--heads", "6"), ("--image-size", "64"), ("--precision", "fp16"), ("--petl-scale", "10"),
            ("--act", "quick_gelu") })
        {
            var (code, _, err) = CliRunner.Run("eval", "--engine", "onnxruntime", "--model", "missing.onnx", "--data", Task, option, value);
            Assert.Equal(2, code);
            Assert.Equal($"sls: {option}: does not apply to --engine onnxruntime: the ONNX file carries its own model (its heads, input size, "
                + "adapters and precision), and ONNX Runtime runs it on the CPU", CliRunner.LastLine(err));
        }
    }

    [Fact]
    public void An_index_computed_at_another_size_than_the_checkpoints_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory("sls-ignored-").FullName;
        string index = Path.Combine(dir, "i64.sls.json");
        var pruned = CliRunner.Run(Prune(index, "--image-size", "64", "--calibration", "200"));
        Assert.True(pruned.Code == 0, pruned.Err);
        Assert.Equal(64, JsonNode.Parse(File.ReadAllText(index))!["input"]!["image_size"]!.GetValue<int>());

        string[] eval = ["eval", "--backbone", Backbone, "--petl", Petl, "--index", index, "--data", Task, "--split", "train800val200", "--device",
            "cpu"];
        var (code, _, err) = CliRunner.Run(eval);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {index}: was computed at 64 px (option), but this run is at 32 px (checkpoint) (give --image-size 64, or "
            + "--image-size 32 to run at 32 anyway)", CliRunner.LastLine(err));
        var asked = CliRunner.Run([.. eval, "--image-size", "64"]);
        Assert.True(asked.Code == 0, asked.Err);
    }
}
