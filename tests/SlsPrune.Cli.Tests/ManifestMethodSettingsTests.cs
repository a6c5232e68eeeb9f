using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>A prune method's own settings are checked when a manifest is loaded (ranges and settings that exclude
/// each other, by the method's <c>Validate</c>), so <c>sls batch --dry-run</c> refuses what the prune stage would
/// refuse after the training stage had run; the command line checks them before loading the model.</summary>
public class ManifestMethodSettingsTests
{
    private static string Manifest(string method, Dictionary<string, object> settings)
    {
        settings["method"] = method;
        string dir = Directory.CreateTempSubdirectory("sls-method-settings-").FullName;
        string path = Path.Combine(dir, "manifest.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            backbone = CliRunner.Fixture("backbone.safetensors"),
            defaults = new { stages = new[] { "prune", "eval" }, heads = 3, device = "cpu" },
            tasks = new[] { new { name = "a", data = PruneEvalCommandTests.Task(2, 2), petl = CliRunner.Fixture("convpass.safetensors"), settings } },
        }));
        return path;
    }

    [Theory]
    [InlineData("depgraph", "ratio", 5.0, "ratio: must be in [0, 1) (got 5) for method depgraph")]
    [InlineData("sls", "alpha", -0.3, "alpha: alpha must be positive (got -0.3) for method sls")]
    [InlineData("sls", "perplexity", 0.0, "perplexity: must be at least 1 (got 0) for method sls")]
    [InlineData("bi", "keep_blocks", 0, "keep_blocks: must be at least 1 (got 0) for method bi")]
    [InlineData("aglp", "aglp_fraction", 1.5, "aglp_fraction: must be in (0, 1] for method aglp")]
    public void Dry_run_refuses_a_method_setting_out_of_range(string method, string key, object value, string problem)
    {
        string manifest = Manifest(method, new Dictionary<string, object> { [key] = value });
        string outDir = Path.Combine(Path.GetDirectoryName(manifest)!, "out");
        var (code, stdout, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--dry-run");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"sls: {manifest}: task 'a': {problem}", err.Trim().Split('\n')[^1]);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Dry_run_refuses_keep_blocks_beyond_the_backbones_depth()
    {
        // the fixture backbone has 3 blocks
        string manifest = Manifest("bi", new Dictionary<string, object> { ["keep_blocks"] = 9 });
        var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", Path.Combine(Path.GetDirectoryName(manifest)!, "out"),
            "--dry-run");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {manifest}: task 'a': keep_blocks 9 is more than the backbone's 3 blocks", err.Trim().Split('\n')[^1]);
        string fits = Manifest("bi", new Dictionary<string, object> { ["keep_blocks"] = 3 });
        Assert.Equal(0, CliRunner.Run("batch", "--manifest", fits, "--out", Path.Combine(Path.GetDirectoryName(fits)!, "out"), "--dry-run").Code);
    }

    [Fact]
    public void Depgraph_without_a_ratio_is_refused_at_load_not_after_the_model_is_built()
    {
        string manifest = Manifest("depgraph", new Dictionary<string, object>());
        var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", Path.Combine(Path.GetDirectoryName(manifest)!, "out"),
            "--dry-run");
        Assert.Equal(2, code);
        Assert.EndsWith("task 'a': ratio: depgraph needs --ratio R (0 <= R < 1) or --match-index INDEX for method depgraph", err.Trim(),
            StringComparison.Ordinal);
        // the command line: refused before the data is opened (a folder that is no task would otherwise be named first)
        var (code2, _, err2) = CliRunner.Run("prune", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--heads", "3", "--data",
            Path.GetDirectoryName(manifest)!,
            "--scoring", "needed", "--tsne-seeds", "2", "--out", Path.Combine(Path.GetDirectoryName(manifest)!, "x.sls.json"));
        Assert.Equal(2, code2);
        Assert.Equal("sls: --scoring: needed scores only the layers the alpha rule reads, from the top down; --tsne-seeds above 1 needs every "
            + "layer's score (use --scoring all)",
            err2.Trim().Split('\n')[^1]);
    }
}

/// <summary>A task whose data lacks a split its stages read is refused when the manifest is loaded (so by
/// <c>--dry-run</c>), not after the training stage has run.</summary>
public class ManifestSplitTests
{
    [Fact]
    public void Dry_run_refuses_an_eval_split_the_data_does_not_have()
    {
        string dir = Directory.CreateTempSubdirectory("sls-manifest-split-").FullName;
        string manifest = Path.Combine(dir, "manifest.json");
        File.WriteAllText(manifest, JsonSerializer.Serialize(new
        {
            backbone = CliRunner.Fixture("backbone.safetensors"),
            defaults = new { stages = new[] { "prune", "eval" }, heads = 3, device = "cpu", eval_split = "nosuchsplit" },
            tasks = new[] { new { name = "a", data = PruneEvalCommandTests.Task(2, 2), petl = CliRunner.Fixture("convpass.safetensors") } },
        }));
        var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", Path.Combine(dir, "out"), "--dry-run");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {manifest}: task 'a': eval_split 'nosuchsplit' is not a split of its data (its splits: train800, val200, "
            + $"train800val200, test)",
            err.Trim().Split('\n')[^1]);
    }
}
