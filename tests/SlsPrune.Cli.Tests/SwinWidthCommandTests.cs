using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary><c>sls prune --method depgraph</c> on the Swin fixture (depths 2-2-2-2, heads 1-2-2-4, widths 4-8-16-32,
/// window 3, MLP ratio 2) with LoRA on qkv: the widths each stage's blocks keep, the bytes the pruned tensors would
/// take, and <c>sls eval</c> and <c>sls export</c> (safetensors reloaded by shape, ONNX) running the index's model.</summary>
public class SwinWidthCommandTests
{
    private static string Swin(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "swin", name);

    private static string[] Model() => ["--backbone", Swin("a.pth"), "--petl", Swin("a_lora.safetensors"), "--image-size", "32", "--device", "cpu"];

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    private static JsonElement Run(params string[] args)
    {
        var (code, output, err) = CliRunner.Run(args);
        Assert.True(code == 0, err);
        return Json(output);
    }

    [Fact]
    public void Depgraph_narrows_every_swin_block_within_its_stage_and_eval_and_export_run_the_plan()
    {
        string task = PruneEvalCommandTests.Task(6, 3);
        string dir = Directory.CreateTempSubdirectory("sls-swin-depgraph-").FullName;
        string index = Path.Combine(dir, "depgraph.sls.json");
        var i = Run(["prune", .. Model(), "--data", task, "--method", "depgraph", "--ratio", "0.5", "--importance", "l1", "--out", index, "--json"])
            .GetProperty("index");

        // half of each stage's heads (at least one; 1 of 1, 1 of 2, 1 of 2, 2 of 4) and of its MLP units (8, 16, 32, 64)
        var width = i.GetProperty("width").EnumerateArray().ToArray();
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], width.Select(w => w.GetProperty("block").GetInt32()));
        Assert.Equal([1, 1, 1, 1, 1, 1, 2, 2], width.Select(w => w.GetProperty("heads").GetArrayLength()));
        Assert.Equal([4, 4, 8, 8, 16, 16, 32, 32], width.Select(w => w.GetProperty("mlp_units").GetArrayLength()));
        Assert.All(width, w => Assert.True(!w.TryGetProperty("head_dims", out var d) || d.ValueKind == JsonValueKind.Null));
        Assert.Equal("uniform ratio 0.5: blocks 1-2 keep 1 of 1 heads and 4 of 8 MLP units; blocks 3-4 keep 1 of 2 heads and 8 of 16 MLP units; "
            + "blocks 5-6 keep 1 of 2 heads and 16 of 32 MLP units; blocks 7-8 keep 2 of 4 heads and 32 of 64 MLP units", i.GetProperty("decision")
                .GetString());
        // per block at (width d, inner i = heads x head dim, units u, h heads): qkv 3i x d + 3i, proj d x i, fc1 u x d + u,
        // fc2 d x u, h columns of the 25-row bias table; float32
        static long Block(long d, long inner, long u, long h) => 3 * inner * d + 3 * inner + d * inner + u * d + u + d * u + 25 * h;
        Assert.Equal(2 * (Block(4, 4, 4, 1) + Block(8, 4, 8, 1) + Block(16, 8, 16, 1) + Block(32, 16, 32, 2)) * 4, i.GetProperty("depgraph")
            .GetProperty("pruned_tensor_bytes").GetInt64());

        var full = Run(["eval", .. Model(), "--data", task, "--split", "test", "--json"]);
        var pruned = Run(["eval", .. Model(), "--data", task, "--split", "test", "--index", index, "--json"]);
        Assert.Equal(8, pruned.GetProperty("blocks").GetInt32());
        Assert.True(pruned.GetProperty("parameters").GetProperty("backbone").GetInt64() < full.GetProperty("parameters").GetProperty("backbone")
            .GetInt64());
        Assert.True(pruned.GetProperty("flops_per_image").GetInt64() < full.GetProperty("flops_per_image").GetInt64());

        // the exported files run the same model: the same predictions, class by class
        string st = Path.Combine(dir, "narrow.safetensors"), onnx = Path.Combine(dir, "narrow.onnx");
        Run(["export", .. Model(), "--index", index, "--format", "safetensors", "--out", st, "--json"]);
        Run(["export", .. Model(), "--index", index, "--format", "onnx", "--out", onnx, "--json"]);
        var standalone = Run(["eval", "--backbone", st, "--image-size", "32", "--device", "cpu", "--data", task, "--split", "test", "--json"]);
        var ort = Run(["eval", "--engine", "onnxruntime", "--model", onnx, "--data", task, "--split", "test", "--json"]);
        Assert.Equal(pruned.GetProperty("per_class").ToString(), standalone.GetProperty("per_class").ToString());
        Assert.Equal(pruned.GetProperty("per_class").ToString(), ort.GetProperty("per_class").ToString());
        Assert.Equal(pruned.GetProperty("flops_per_image").GetInt64(), standalone.GetProperty("flops_per_image").GetInt64());
        Assert.Equal(pruned.GetProperty("parameters").GetProperty("backbone").GetInt64(), standalone.GetProperty("parameters").GetProperty("backbone")
            .GetInt64());
    }

    [Fact]
    public void Taylor_importance_runs_through_the_swin_and_head_dimensions_refuse_a_standalone_export()
    {
        string task = PruneEvalCommandTests.Task(6, 3);
        string dir = Directory.CreateTempSubdirectory("sls-swin-taylor-").FullName;
        string index = Path.Combine(dir, "dims.sls.json");
        var i = Run(["prune", .. Model(), "--data", task, "--method", "depgraph", "--ratio", "0.5", "--importance", "taylor", "--taylor-batches", "2",
            "--batch-size", "8", "--width-unit", "dims", "--out", index, "--json"]).GetProperty("index");
        Assert.Equal("taylor", i.GetProperty("metric").GetString());
        var width = i.GetProperty("width").EnumerateArray().ToArray();
        Assert.Equal([1, 1, 2, 2, 2, 2, 4, 4], width.Select(w => w.GetProperty("heads").GetArrayLength()));      // every head kept
        Assert.Equal([2, 2, 2, 2, 4, 4, 4, 4], width.Select(w => w.GetProperty("head_dims").GetArrayLength())); // half of 4 or 8
        Assert.Contains("blocks 7-8 keep 4 of 8 dimensions in each of its 4 heads and 32 of 64 MLP units", i.GetProperty("decision").GetString(),
            StringComparison.Ordinal);

        string st = Path.Combine(dir, "dims.safetensors");
        var (code, _, err) = CliRunner.Run(["export", .. Model(), "--index", index, "--format", "safetensors", "--out", st]);
        Assert.Equal(2, code);
        Assert.Equal("sls: --format: safetensors: a Swin model whose heads keep fewer dimensions would read back from its tensor shapes as a model "
            + "of other heads; export it with --format onnx",
            err.Trim().Split('\n')[^1]);
        Assert.False(File.Exists(st));
    }
}
