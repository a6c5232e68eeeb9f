using System.Text.Json;
using SlsPrune.Core.Batch;

namespace SlsPrune.Cli.Tests;

/// <summary><c>sls prune --method bi|cka|probe|depgraph|aglp|spa</c> end to end on the fixture model and a small
/// task: the index each writes, that <c>sls eval</c> and retraining run what it describes, the stored bytes,
/// and a batch that compares methods.</summary>
public class BaselineCommandTests
{
    private static string Baseline(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "baselines", name);

    private static string[] Model(string? petl = null) =>
        ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl", petl ?? CliRunner.Fixture("convpass.safetensors"), "--heads", "3",
            "--device", "cpu"];

    private static (JsonElement Result, string Index) Prune(string task, string method, params string[] extra)
    {
        string index = Path.Combine(Directory.CreateTempSubdirectory("sls-baseline-").FullName, method + ".sls.json");
        var (code, output, err) = CliRunner.Run(["prune", .. Model(), "--data", task, "--method", method, "--out", index, "--json", .. extra]);
        Assert.True(code == 0, err);
        return (JsonDocument.Parse(output).RootElement, index);
    }

    private static JsonElement Eval(string task, string? index, string? petl = null)
    {
        string[] idx = index is null ? [] : ["--index", index];
        var (code, output, err) = CliRunner.Run(["eval", .. Model(petl), "--data", task, "--split", "test", "--json", .. idx]);
        Assert.True(code == 0, err);
        return JsonDocument.Parse(output).RootElement;
    }

    [Theory]
    [InlineData("bi", "block-influence")]
    [InlineData("cka", "1-linear-cka")]
    [InlineData("probe", "ridge-probe-accuracy")]
    public void Layer_scorers_write_an_index_eval_runs(string method, string metric)
    {
        string task = PruneEvalCommandTests.Task(12, 3);
        var (r, index) = Prune(task, method, "--keep-blocks", "2");
        var i = r.GetProperty("index");
        Assert.Equal(method, i.GetProperty("method").GetString());
        Assert.Equal(metric, i.GetProperty("metric").GetString());
        Assert.Equal(3, i.GetProperty(method).GetProperty("scores").GetArrayLength());
        var kept = i.GetProperty("kept_blocks").EnumerateArray().Select(k => k.GetInt32()).ToArray();
        Assert.Equal(2, kept.Length);
        Assert.True(i.GetProperty("method_seconds").GetDouble() > 0);
        if (method == "probe") Assert.Equal([1, 2], kept);                    // depth-wise: leading blocks
        if (method == "cka") Assert.Contains(1, kept);                         // block 1 counts as fully important
        var e = Eval(task, index);
        Assert.Equal(2, e.GetProperty("blocks").GetInt32());
        Assert.True(e.GetProperty("flops_per_image").GetInt64() < Eval(task, null).GetProperty("flops_per_image").GetInt64());
    }

    [Fact]
    public void Depgraph_narrows_every_block_and_counts_what_tensors_would_cost()
    {
        string task = PruneEvalCommandTests.Task(12, 3);
        var (r, index) = Prune(task, "depgraph", "--ratio", "0.5", "--importance", "l1");
        var i = r.GetProperty("index");
        Assert.Equal(0.5, i.GetProperty("depgraph").GetProperty("ratio").GetDouble());
        var width = i.GetProperty("width").EnumerateArray().ToArray();
        Assert.Equal([1, 2, 3], width.Select(w => w.GetProperty("block").GetInt32()));
        Assert.All(width, w => Assert.Equal(2, w.GetProperty("heads").GetArrayLength()));     // round(3 x 0.5) away from zero
        Assert.All(width, w => Assert.Equal(48, w.GetProperty("mlp_units").GetArrayLength()));
        // 3 blocks x (qkv 96x48 + 96, proj 48x32, fc1 48x48 + 48, fc2 48x48) floats
        Assert.Equal(3L * (96 * 48 + 96 + 48 * 32 + 48 * 48 + 48 + 48 * 48) * 4, i.GetProperty("depgraph").GetProperty("pruned_tensor_bytes")
            .GetInt64());
        Assert.Contains("\"mlp_units\": [", File.ReadAllText(index), StringComparison.Ordinal);  // lists on one line
        var full = Eval(task, null);
        var e = Eval(task, index);
        Assert.Equal(3, e.GetProperty("blocks").GetInt32());
        Assert.True(e.GetProperty("parameters").GetProperty("backbone").GetInt64() < full.GetProperty("parameters").GetProperty("backbone")
            .GetInt64());
        Assert.True(e.GetProperty("flops_per_image").GetInt64() < full.GetProperty("flops_per_image").GetInt64());
        Assert.True(new FileInfo(index).Length < i.GetProperty("depgraph").GetProperty("pruned_tensor_bytes").GetInt64() / 10);
    }

    [Fact]
    public void Head_dimension_pruning_keeps_every_head_narrower()
    {
        string task = PruneEvalCommandTests.Task(12, 3);
        var (r, index) = Prune(task, "depgraph", "--ratio", "0.25", "--importance", "l2", "--width-unit", "dims");
        var width = r.GetProperty("index").GetProperty("width").EnumerateArray().ToArray();
        Assert.All(width, w => Assert.Equal(3, w.GetProperty("heads").GetArrayLength()));
        Assert.All(width, w => Assert.Equal(12, w.GetProperty("head_dims").GetArrayLength()));   // 16 x 0.75
        Assert.All(width, w => Assert.Equal(72, w.GetProperty("mlp_units").GetArrayLength()));
        Assert.Contains("12 of 16 dimensions in each of its 3 heads", r.GetProperty("index").GetProperty("decision").GetString(),
            StringComparison.Ordinal);
        var e = Eval(task, index);
        Assert.True(e.GetProperty("flops_per_image").GetInt64() < Eval(task, null).GetProperty("flops_per_image").GetInt64());
        // its shapes (36 of qkv's 48 rows per third) would read back as whole heads of 16: a different model, so a
        // standalone checkpoint is refused, and ONNX (which stores the graph) is the way out
        string output = Path.Combine(Path.GetDirectoryName(index)!, "dims.safetensors");
        var (code, _, err) = CliRunner.Run(["export", .. Model(), "--index", index, "--format", "safetensors", "--out", output]);
        Assert.Equal(2, code);
        Assert.Equal("sls: --format: safetensors: a ViT whose heads keep fewer dimensions would read back from its tensor shapes as a model of "
            + "other heads; export it with --format onnx",
            err.Trim().Split('\n')[^1]);
        Assert.False(File.Exists(output));
        Assert.Equal(0, CliRunner.Run(["export", .. Model(), "--index", index, "--format", "onnx", "--out", Path.ChangeExtension(output, ".onnx")])
            .Code);
    }

    [Fact]
    public void Random_importance_follows_the_seed_and_taylor_runs()
    {
        string task = PruneEvalCommandTests.Task(12, 3);
        string Units(JsonElement r) => string.Join(";", r.GetProperty("index").GetProperty("width").EnumerateArray().Select(w =>
            w.GetProperty("mlp_units").ToString()));
        var a = Prune(task, "depgraph", "--ratio", "0.5", "--importance", "random", "--seed", "1").Result;
        var b = Prune(task, "depgraph", "--ratio", "0.5", "--importance", "random", "--seed", "1").Result;
        var c = Prune(task, "depgraph", "--ratio", "0.5", "--importance", "random", "--seed", "2").Result;
        Assert.Equal(Units(a), Units(b));
        Assert.NotEqual(Units(a), Units(c));
        var t = Prune(task, "depgraph", "--ratio", "0.25", "--importance", "taylor", "--taylor-batches", "2", "--batch-size", "8").Result;
        Assert.Equal("taylor", t.GetProperty("index").GetProperty("metric").GetString());
        Assert.All(t.GetProperty("index").GetProperty("width").EnumerateArray(), w => Assert.Equal(72, w.GetProperty("mlp_units").GetArrayLength()));
    }

    [Fact]
    public void Match_index_gives_the_same_budget()
    {
        string task = PruneEvalCommandTests.Task(12, 3);
        var (_, bi) = Prune(task, "bi", "--keep-blocks", "2");
        var d = Prune(task, "depgraph", "--match-index", bi, "--importance", "l2").Result;
        Assert.Equal(1 - 2.0 / 3, d.GetProperty("index").GetProperty("depgraph").GetProperty("ratio").GetDouble(), 12);
        var k = Prune(task, "cka", "--match-index", bi).Result;
        Assert.Equal(2, k.GetProperty("index").GetProperty("kept_blocks").GetArrayLength());
        var (code, _, err) = CliRunner.Run(["prune", .. Model(), "--data", task, "--method", "depgraph", "--ratio", "0.5", "--match-index", bi]);
        Assert.Equal(2, code);
        Assert.Contains("give --ratio or --match-index, not both", err, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(["prune", .. Model(), "--data", task, "--method", "depgraph"]);
        Assert.Equal(2, code);
        Assert.Contains("depgraph needs --ratio", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Spa_masks_a_splora_models_adapters_and_refuses_other_methods()
    {
        string task = PruneEvalCommandTests.Task(12, 3);
        string dir = Directory.CreateTempSubdirectory("sls-spa-").FullName;
        string index = Path.Combine(dir, "spa.sls.json");
        var (code, output, err) = CliRunner.Run(["prune", .. Model(Baseline("splora.safetensors")), "--data", task, "--method", "spa", "--ratio",
            "0.5", "--out", index, "--json"]);
        Assert.True(code == 0, err);
        var r = JsonDocument.Parse(output).RootElement;
        string petl = r.GetProperty("petl_path").GetString()!;
        Assert.Equal(Path.Combine(dir, "spa.petl.safetensors"), petl);
        Assert.Equal("l1-of-adapted-weight", r.GetProperty("index").GetProperty("metric").GetString());
        Assert.True(new FileInfo(petl).Length < new FileInfo(Baseline("splora.safetensors")).Length * 0.8);
        var e = Eval(task, index, petl);
        Assert.Equal(3, e.GetProperty("blocks").GetInt32());
        // the index names the masked file; the full SPLoRA file does not fit it
        var (c2, _, e2) = CliRunner.Run(["eval", .. Model(Baseline("splora.safetensors")), "--data", task, "--index", index]);
        Assert.Equal(2, c2);
        Assert.Contains("different PETL file", e2, StringComparison.Ordinal);
        (code, _, err) = CliRunner.Run(["prune", .. Model(), "--data", task, "--method", "spa", "--ratio", "0.5", "--out", Path.Combine(dir,
            "x.sls.json")]);
        Assert.Equal(2, code);
        Assert.Contains("spa prunes SPLoRA models", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "x.sls.json")));
    }

    [Fact]
    public void Aglp_drops_blocks_greedily_and_writes_retrained_adapters()
    {
        string task = PruneEvalCommandTests.Task(8, 5);   // the fixture head has 5 classes; retraining keeps it
        var (r, index) = Prune(task, "aglp", "--keep-blocks", "2", "--aglp-epochs", "1", "--aglp-fraction", "0.01", "--batch-size", "8");
        var i = r.GetProperty("index");
        Assert.Equal(2, i.GetProperty("kept_blocks").GetArrayLength());      // a tiny floor: the search runs to the budget
        var steps = i.GetProperty("aglp").GetProperty("steps").EnumerateArray().Select(s => s.GetString()!).ToArray();
        Assert.StartsWith("full model: val200", steps[0], StringComparison.Ordinal);
        Assert.StartsWith("step 1: drop block", steps[1], StringComparison.Ordinal);
        string petl = r.GetProperty("petl_path").GetString()!;
        Assert.False(Directory.Exists(petl + ".aglp-work"));
        // the retrained adapters are named by their blocks' places in the full backbone
        var keptZeroBased = i.GetProperty("kept_blocks").EnumerateArray().Select(k => k.GetInt32() - 1).ToArray();
        using (var f = SlsPrune.Core.Checkpoints.SafetensorsFile.Open(petl))
        {
            var blocks = f.Tensors.Select(t => SlsPrune.Core.Checkpoints.BlockKey.Parse(t.Name)).Where(b => b is not null).Select(b => b!.Value.Block)
                .Distinct().Order();
            Assert.Equal(keptZeroBased, blocks);
        }
        var e = Eval(task, index, petl);
        Assert.Equal(2, e.GetProperty("blocks").GetInt32());
    }

    [Fact]
    public void A_batch_compares_methods_through_prune_eval_and_retrain()
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-methods-").FullName;
        string task = PruneEvalCommandTests.Task(8, 5);
        var tasks = new (string Method, object Settings)[]
        {
            ("sls", new { method = "sls" }),
            ("bi", new { method = "bi", keep_blocks = 2 }),
            ("depgraph", new { method = "depgraph", ratio = 0.5, importance = "l1" }),
            ("aglp", new { method = "aglp", keep_blocks = 2, aglp_epochs = 1 }),
        };
        var m = new
        {
            backbone = CliRunner.Fixture("backbone.safetensors"),
            defaults = new
            {
                stages = new[] { "prune", "eval", "retrain" }, heads = 3, device = "cpu", eval_split = "test", alpha = 0.9,
                retrain_epochs = 1, batch_size = 8
            },
            tasks = tasks.Select(t => new
            {
                name = "t." + t.Method, data = task, group = "natural", petl = CliRunner.Fixture("convpass.safetensors"),
                settings = t.Settings
            }).ToArray(),
        };
        string manifest = Path.Combine(dir, "m.json");
        File.WriteAllText(manifest, JsonSerializer.Serialize(m));
        string outDir = Path.Combine(dir, "out");
        var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--json");
        Assert.True(code == 0, err);
        foreach (var (method, _) in tasks)
        {
            var res = JsonDocument.Parse(File.ReadAllText(BatchRunner.ResultPath(outDir, "t." + method))).RootElement;
            Assert.Equal("ok", res.GetProperty("status").GetString());
            Assert.Equal(method, res.GetProperty("method").GetString());
            Assert.Equal(res.GetProperty("kept_blocks").GetInt32(), res.GetProperty("retrained").GetProperty("blocks")
                .GetInt32());  // retrained on the method's blocks
            if (method == "depgraph") Assert.True(res.GetProperty("retrained").GetProperty("flops_per_image").GetInt64() < res.GetProperty("full")
                .GetProperty("flops_per_image").GetInt64());
        }
        var (rc, md, _) = CliRunner.Run("report", outDir);
        Assert.Equal(0, rc);
        Assert.Contains("| **Average (depgraph)** | depgraph |  | 1 task |", md, StringComparison.Ordinal);
        Assert.Contains("| t.aglp | aglp | natural | ok |", md, StringComparison.Ordinal);
    }
}
