using System.Text.Json;
using System.Text.Json.Nodes;
using SlsPrune.Cli.Tests.Toy;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.Pruning;

namespace SlsPrune.Cli.Tests;

/// <summary>The prune-method axis is closed: a method defined in this project (one file, <see cref="KeepFirstMethod"/>)
/// and registered with one line gets its command-line options with their help and defaults, its manifest keys checked
/// by its own rules, an index that reads back, and a row in the batch report, with no other file changed.</summary>
public class ToyMethodTests
{
    private static string[] Model => ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl", CliRunner.Fixture("convpass.pt"),
        "--petl-scale", "0.7",
        "--heads", "3", "--device", "cpu", "--allow-class-mismatch"];

    [Fact]
    public void A_method_from_outside_the_library_gets_options_manifest_keys_an_index_and_a_report_row()
    {
        using var registered = PruneMethods.Register(new KeepFirstMethod());

        // options, from the declarations: help with the default, and the method among --method's values
        var (hcode, help, _) = CliRunner.Run("prune", "--help");
        Assert.Equal(0, hcode);
        Assert.Contains("keep-first: blocks to keep from the input side (default 2)", help, StringComparison.Ordinal);
        Assert.Contains("keep-first: keep the first N blocks (a toy)", help, StringComparison.Ordinal);

        // a run: the options reach the method, the index reads back
        string task = PruneEvalCommandTests.Task(4, 3), dir = Directory.CreateTempSubdirectory("sls-toy-").FullName;
        string index = Path.Combine(dir, "toy.sls.json");
        var (code, _, err) = CliRunner.Run(["prune", .. Model, "--data", task, "--method", "keep-first", "--keep-first", "1", "--reason", "chosen",
            "--out", index]);
        Assert.True(code == 0, err);
        var read = PruningIndex.Load(index);
        Assert.Equal(("keep-first", "chosen: keep blocks 1..1"), (read.Method, read.Decision));
        Assert.Equal([1], read.KeptBlocks);
        // its own section: written under its name with its version, read back as its record, checked by its rule
        var json = JsonNode.Parse(File.ReadAllText(index))!.AsObject();
        Assert.Equal((3, 1, 1), ((int)json["version"]!, (int)json["keep-first"]!["version"]!, (int)json["keep-first"]!["asked"]!));
        Assert.False(json.ContainsKey("alpha"));   // no other method's fields
        Assert.Equal(new KeepFirstSection { Asked = 1 }, read.Section);
        string again = Path.Combine(dir, "again.sls.json");
        read.Save(again);
        Assert.Equal(read.Section, PruningIndex.Load(again).Section);
        json["keep-first"]!["asked"] = 0;
        string bad0 = Path.Combine(dir, "bad.sls.json");
        File.WriteAllText(bad0, json.ToJsonString());
        Assert.Equal("field 'keep-first.asked' must be at least 1 (got 0)", Assert.Throws<SlsInputException>(() => PruningIndex.Load(bad0)).Problem);
        // the prune command prints its lines
        var (_, pruneOut, _) = CliRunner.Run(["prune", .. Model, "--data", task, "--method", "keep-first", "--keep-first", "1", "--out", index]);
        Assert.Contains("keep-first: asked for 1 blocks, kept 1", pruneOut, StringComparison.Ordinal);
        // its own rule, before any work
        var (bad, _, badErr) = CliRunner.Run(["prune", .. Model, "--data", task, "--method", "keep-first", "--keep-first", "0", "--out", index]);
        Assert.Equal(2, bad);
        Assert.Equal("sls: --keep-first: must be at least 1 (got 0)", badErr.Trim().Split('\n')[^1]);

        // a manifest: its keys are known, checked by its rule at load, and the task runs
        string Manifest(int keepFirst)
        {
            string path = Path.Combine(dir, $"m{keepFirst}.json");
            File.WriteAllText(path, JsonSerializer.Serialize(new
            {
                backbone = CliRunner.Fixture("backbone.safetensors"),
                defaults = new { stages = new[] { "prune", "eval" }, heads = 3, device = "cpu", eval_split = "test", allow_class_mismatch = true },
                tasks = new[] { new { name = "t", data = task, group = "natural", petl = CliRunner.Fixture("convpass.safetensors"),
                    settings = new { method = "keep-first", keep_first = keepFirst } } },
            }));
            return path;
        }
        var (dry, _, dryErr) = CliRunner.Run("batch", "--manifest", Manifest(0), "--out", Path.Combine(dir, "out0"), "--dry-run");
        Assert.Equal(2, dry);
        Assert.EndsWith("task 't': keep_first: must be at least 1 (got 0) for method keep-first", dryErr.Trim(), StringComparison.Ordinal);
        string results = Path.Combine(dir, "out");
        var (run, _, runErr) = CliRunner.Run("batch", "--manifest", Manifest(2), "--out", results);
        Assert.True(run == 0, runErr);
        var (rcode, csv, rerr) = CliRunner.Run("report", results, "--format", "csv");
        Assert.True(rcode == 0, rerr);
        var rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = rows[0].Split(',');
        var row = rows.Single(r => r.StartsWith("t,", StringComparison.Ordinal)).Split(',');
        Assert.Equal("keep-first", row[Array.IndexOf(header, "method")]);
        Assert.StartsWith("2", row[Array.IndexOf(header, "blocks kept")], StringComparison.Ordinal);
        // its own lines in the reports' method details
        var (mcode, md, merr) = CliRunner.Run("report", results, "--format", "md");
        Assert.True(mcode == 0, merr);
        Assert.Contains("- t (keep-first): keep-first: asked for 2 blocks, kept 2", md, StringComparison.Ordinal);
        Assert.Contains("keep-first: asked for 2 blocks, kept 2</td>", HtmlReport.Build(results), StringComparison.Ordinal);

        // without its registration the index still loads (a method not known keeps its section as read) and writes back whole
        registered.Dispose();
        var raw = Assert.IsType<RawSection>(PruningIndex.Load(index).Section);
        Assert.Equal(1, (int)raw.Json["asked"]!);
        PruningIndex.Load(index).Save(again);
        Assert.Equal(1, (int)JsonNode.Parse(File.ReadAllText(again))!["keep-first"]!["asked"]!);
    }

    [Fact]
    public void Without_its_registration_the_method_is_unknown()
    {
        var (code, _, err) = CliRunner.Run(["prune", .. Model, "--data", PruneEvalCommandTests.Task(2, 2), "--method", "keep-first"]);
        Assert.Equal(2, code);
        Assert.Contains("keep-first", err, StringComparison.Ordinal);
    }
}

/// <summary>A method's section is written under its name beside the common fields, so a name that is one of them is refused
/// when the method is registered.</summary>
public class MethodNameClashTests
{
    private sealed class Named(string name) : PruneMethod<KeepFirstOptions>
    {
        public override string Name => name;

        public override string Description => "a toy with a chosen name";

        protected override MethodOutput Run(PruneContext ctx, KeepFirstOptions o) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData("calibration")]
    [InlineData("kept_blocks")]
    [InlineData("Backbone")]
    [InlineData("scores")]
    public void A_method_named_like_a_common_index_field_is_refused(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => PruneMethods.Register(new Named(name)));
        Assert.Contains("a field every index has", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_name_registers()
    {
        using var registered = PruneMethods.Register(new Named("keep-some"));
        Assert.Contains(PruneMethods.All, m => m.Name == "keep-some");
    }
}
