using System.Text.Json;
using SlsPrune.Core.Data.Images;

namespace SlsPrune.Cli.Tests;

public class PruneEvalCommandTests
{
    /// <summary>A task folder of 32x32 PNGs whose classes differ in brightness and stripes.</summary>
    internal static string Task(int perClass, int classes, string? only = null)
    {
        var dir = Directory.CreateTempSubdirectory("sls-prune-task-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        var rng = new Random(1);
        var lines = new List<string>();
        for (int c = 0; c < classes; c++)
            for (int i = 0; i < perClass; i++)
            {
                var px = new byte[32 * 32 * 3];
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        for (int ch = 0; ch < 3; ch++)
                        {
                            double v = 60 * c + (c == 1 && (x / 4) % 2 == 0 ? 80 : 0) + (c == 2 && ch == 2 ? 90 : 0) + rng.Next(40);
                            px[(y * 32 + x) * 3 + ch] = (byte)Math.Clamp(v, 0, 255);
                        }
                string rel = $"images/{c}_{i}.png";
                File.WriteAllBytes(Path.Combine(dir, rel), PngEncoder.Encode(32, 32, 3, px));
                lines.Add($"{rel} {c}");
            }
        foreach (var split in new[] { "train800val200", "test", "train800", "val200" })
            File.WriteAllLines(Path.Combine(dir, split + ".txt"), only is null ? lines : lines.Select(l => l[..l.LastIndexOf(' ')] + " " + only));
        return dir;
    }

    private static string[] Model(string petl = "convpass.pt") =>
        ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl", CliRunner.Fixture(petl), "--petl-scale", "0.7", "--heads", "3",
            "--device", "cpu"];

    [Fact]
    public void Prune_writes_an_index_features_and_plots_and_eval_runs_the_pruned_model()
    {
        string task = Task(20, 3);
        string outDir = Directory.CreateTempSubdirectory("sls-prune-out-").FullName;
        string index = Path.Combine(outDir, "task.sls.json");
        var (code, output, err) = CliRunner.Run(["prune", .. Model(), "--data", task, "--out", index, "--alpha", "0.9",
            "--features-out", Path.Combine(outDir, "feats.safetensors"), "--plots", Path.Combine(outDir, "plots"), "--json"]);
        Assert.True(code == 0, err);
        Assert.Contains("sls: t-SNE: done", err, StringComparison.Ordinal);
        var r = JsonDocument.Parse(output).RootElement;
        var ix = JsonDocument.Parse(File.ReadAllText(index)).RootElement;
        Assert.Equal("slsprune-index", ix.GetProperty("format").GetString());
        Assert.Equal(3, ix.GetProperty("depth").GetInt32());
        Assert.Equal(60, ix.GetProperty("calibration").GetProperty("samples").GetInt32());
        var scores = ix.GetProperty("sls").GetProperty("scores").EnumerateArray().Select(s => s.GetDouble()).ToArray();
        Assert.Equal(3, scores.Length);
        Assert.True(scores[^1] > 0.2, $"the top layer should separate these classes; scores {string.Join(", ", scores)}");
        int kept = ix.GetProperty("kept_blocks").GetArrayLength();
        Assert.Equal(SlsPolicy.Decide(scores, 0.9).KeptBlocks, kept);
        Assert.Equal(index, r.GetProperty("index_path").GetString());

        using (var feats = Core.Features.LayerFeatureSet.Load(Path.Combine(outDir, "feats.safetensors")))
        {
            Assert.Equal(new long[] { 3, 60, 48 }, feats.Features.shape);
            // the FEM on the saved features reproduces the index's scores exactly (deterministic)
            using var again = FeatureEvaluation.Score(feats.Features, feats.Labels, ClusterMetrics.Default, new TsneOptions(), TorchSharp.torch.CPU);
            Assert.Equal(scores, again.Scores);
        }
        var plots = Directory.GetFiles(Path.Combine(outDir, "plots")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "scores.png", "scores.svg", "tsne_grid.png", "tsne_grid.svg", "tsne_layer01.png", "tsne_layer01.svg", "tsne_layer02.png",
            "tsne_layer02.svg",
            "tsne_layer03.png", "tsne_layer03.svg" }, plots);
        Assert.Equal(10, r.GetProperty("plots").GetArrayLength());
        var curve = PngDecoder.Decode(File.ReadAllBytes(Path.Combine(outDir, "plots", "scores.png")));
        Assert.Equal((Core.Plotting.ScoreFigure.Width, Core.Plotting.ScoreFigure.Height), (curve.Width, curve.Height));
        var grid = PngDecoder.Decode(File.ReadAllBytes(Path.Combine(outDir, "plots", "tsne_grid.png")));
        Assert.Equal(Core.Plotting.TsneFigure.Columns(3) * Core.Plotting.TsneFigure.PanelSize + 16, grid.Width);

        string evalPlots = Path.Combine(outDir, "eval-plots");
        var (ecode, eout, eerr) = CliRunner.Run(["eval", .. Model(), "--data", task, "--index", index, "--json", "--plots", evalPlots]);
        Assert.True(ecode == 0, eerr);
        var e = JsonDocument.Parse(eout).RootElement;
        Assert.Equal(kept, e.GetProperty("blocks").GetInt32());
        Assert.Equal(60, e.GetProperty("images").GetInt32());
        var perClass = e.GetProperty("per_class").EnumerateArray().ToArray();
        Assert.Equal(5, perClass.Length); // the head's classes; the task uses 3 of them
        Assert.Equal(60, perClass.Sum(c => c.GetProperty("images").GetInt32()));
        Assert.Equal(e.GetProperty("correct").GetInt32(), perClass.Sum(c => c.GetProperty("correct").GetInt32()));
        Assert.Equal(new[] { "confusion.png", "confusion.svg", "per_class.png", "per_class.svg" },
            Directory.GetFiles(evalPlots).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        Assert.True(PngDecoder.Decode(File.ReadAllBytes(Path.Combine(evalPlots, "confusion.png"))).Width >= 520);
        long perBlock = 2 * 96 + (48 * 144 + 144) + (48 * 48 + 48) + (48 * 96 + 96) + (96 * 48 + 48);
        long fixedPart = (48 * 3 * 8 * 8 + 48) + 48 + 17 * 48 + 96 + (48 * 48 + 48);
        Assert.Equal(fixedPart + kept * perBlock, e.GetProperty("parameters").GetProperty("backbone").GetInt64());
        Assert.Equal(new FileInfo(index).Length + new FileInfo(CliRunner.Fixture("convpass.pt")).Length, e.GetProperty("storage")
            .GetProperty("per_task_bytes").GetInt64());
    }

    [Fact]
    public void Eval_without_petl_uses_the_head_of_a_torchvision_file_or_a_hugging_face_folder()
    {
        string task = Task(10, 3);
        foreach (var backbone in new[] { new[] { "--backbone", CliRunner.Layout("tv_vit.pth"), "--heads", "3" }, ["--backbone",
            CliRunner.Layout("hf_vit")] })
        {
            var (code, output, err) = CliRunner.Run(["eval", .. backbone, "--data", task, "--device", "cpu", "--json", "--allow-class-mismatch"]);
            Assert.True(code == 0, err);
            var e = JsonDocument.Parse(output).RootElement;
            Assert.Equal(30, e.GetProperty("images").GetInt32());
            Assert.Equal(0, e.GetProperty("storage").GetProperty("petl_bytes").GetInt64());
        }
        // a backbone without a head: one line naming it
        var (hcode, _, herr) = CliRunner.Run(["eval", "--backbone", CliRunner.Layout("hf_vitmodel"), "--data", task, "--device", "cpu"]);
        Assert.Equal(2, hcode);
        Assert.Contains("has no classification head; give the task's PETL file (--petl)", herr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_measures_the_batch_sizes_asked_for_in_the_precision_asked_for()
    {
        string task = Task(20, 3);
        var (code, output, err) = CliRunner.Run(["eval", .. Model(), "--data", task, "--precision", "bf16", "--throughput", "--throughput-batches",
            "2,3",
            "--repeats", "2", "--json"]);
        Assert.True(code == 0, err);
        var e = JsonDocument.Parse(output).RootElement;
        Assert.Equal("bf16", e.GetProperty("precision").GetString());
        var t = e.GetProperty("throughput").EnumerateArray().ToArray();
        Assert.Equal(new[] { 2, 3 }, t.Select(x => x.GetProperty("batch_size").GetInt32()));
        Assert.All(t, x => Assert.Equal(2, x.GetProperty("repeats").GetInt32()));
        Assert.All(t, x => Assert.True(x.GetProperty("images_per_second").GetDouble() > 0));
    }

    [Theory]
    [InlineData("--throughput-batches", "1,x", "'x' is not a positive batch size")]
    [InlineData("--throughput-batches", "0", "'0' is not a positive batch size")]
    [InlineData("--precision", "fp8", "fp8")]
    [InlineData("--repeats", "0", "--repeats must be positive")]
    public void Bad_eval_options_exit_2_with_one_line(string option, string value, string expected)
    {
        var (code, _, err) = CliRunner.Run(["eval", .. Model(), "--data", Task(20, 3), "--throughput", option, value]);
        Assert.Equal(2, code);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("sls: eval:", StringComparison.Ordinal))
            .ToArray();
        Assert.Single(lines);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Scoring_as_needed_scores_the_layers_the_rule_reads_and_decides_the_same()
    {
        string task = Task(20, 3), dir = Directory.CreateTempSubdirectory("sls-needed-").FullName;
        bool partialSeen = false;
        foreach (var alpha in new[] { "0.3", "0.9", "1.5" })
        {
            JsonElement Run(string scoring)
            {
                string index = Path.Combine(dir, $"{scoring}-{alpha}.sls.json");
                var (code, _, err) = CliRunner.Run(["prune", .. Model(), "--data", task, "--out", index, "--alpha", alpha, "--scoring", scoring]);
                Assert.True(code == 0, err);
                return JsonDocument.Parse(File.ReadAllText(index)).RootElement;
            }
            var all = Run("all");
            var needed = Run("needed");
            var scores = all.GetProperty("sls").GetProperty("scores").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            var d = SlsPolicy.Decide(scores, double.Parse(alpha, System.Globalization.CultureInfo.InvariantCulture));
            int lowest = d.Guarded ? scores.Length : d.StopLayer ?? 1;
            Assert.Equal(all.GetProperty("kept_blocks").GetRawText(), needed.GetProperty("kept_blocks").GetRawText());
            var read = lowest == 1
                ? needed.GetProperty("sls").GetProperty("scores").EnumerateArray().Select((x, i) => (Layer: i + 1, Score: x.GetDouble())).ToArray()
                : needed.GetProperty("sls").GetProperty("scores_from_top").EnumerateArray().Select(x => (Layer: x.GetProperty("layer").GetInt32(),
                    Score: x.GetProperty("score").GetDouble())).ToArray();
            Assert.Equal(Enumerable.Range(lowest, scores.Length - lowest + 1), read.Select(r => r.Layer).Order());
            foreach (var (layer, score) in read) Assert.Equal(scores[layer - 1], score); // the same bits as scoring every layer
            if (lowest > 1)
            {
                partialSeen = true;
                Assert.False(needed.TryGetProperty("scores", out _));
                Assert.False(needed.TryGetProperty("alpha_sweep", out _));
                Assert.Contains("--scoring needed", needed.GetProperty("decision").GetString(), StringComparison.Ordinal);
                // the index loads and its model evaluates
                var (code, _, err) = CliRunner.Run(["eval", .. Model(), "--data", task, "--index", Path.Combine(dir, $"needed-{alpha}.sls.json")]);
                Assert.True(code == 0, err);
            }
        }
        Assert.True(partialSeen, "no alpha stopped above layer 1: the partial index is not exercised");
    }

    [Fact]
    public void Without_scoring_the_rule_reads_its_layers_only_and_decides_as_scoring_every_layer()
    {
        string task = Task(20, 3), dir = Directory.CreateTempSubdirectory("sls-auto-").FullName;
        JsonElement Run(string name, params string[] more)
        {
            string index = Path.Combine(dir, name + ".sls.json");
            var (code, _, err) = CliRunner.Run(["prune", .. Model(), "--data", task, "--out", index, "--alpha", "1.5", .. more]);
            Assert.True(code == 0, err);
            return JsonDocument.Parse(File.ReadAllText(index)).RootElement;
        }
        var all = Run("all", "--scoring", "all");
        var auto = Run("auto");
        var needed = Run("needed", "--scoring", "needed");
        Assert.Equal(all.GetProperty("kept_blocks").GetRawText(), auto.GetProperty("kept_blocks").GetRawText());
        // alpha 1.5 puts the threshold above the top score (or the guard stops at a top score <= 0): the rule reads the
        // top layer only, so only layer 3 is scored, with the bits scoring every layer gives it
        var top = auto.GetProperty("sls").GetProperty("scores_from_top").EnumerateArray().Select(x => (x.GetProperty("layer").GetInt32(),
            x.GetProperty("score").GetDouble())).ToArray();
        var every = all.GetProperty("sls").GetProperty("scores").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.Equal([(3, every[2])], top);
        Assert.False(auto.GetProperty("sls").TryGetProperty("alpha_sweep", out _));
        Assert.Equal(needed.GetProperty("sls").GetProperty("scores_from_top").GetRawText(), auto.GetProperty("sls").GetProperty("scores_from_top")
            .GetRawText());
        Assert.EndsWith("(layers 3..3 scored, --scoring auto; --scoring all scores every layer)", auto.GetProperty("decision").GetString(),
            StringComparison.Ordinal);
        // an output that reads every layer: auto scores them all
        var plotted = Run("plotted", "--plots", Path.Combine(dir, "plots"));
        Assert.Equal(every, plotted.GetProperty("sls").GetProperty("scores").EnumerateArray().Select(x => x.GetDouble()));
    }

    [Theory]
    [InlineData("--plots", "PLOTS", "--plots needs every layer")]
    [InlineData("--tsne-seeds", "2", "--tsne-seeds above 1 needs every layer")]
    [InlineData("--policy", "accuracy", "--policy accuracy needs every layer")]
    [InlineData("--alpha", "0.3,0.5", "several alphas need")]
    public void Scoring_as_needed_refuses_what_needs_every_layer(string option, string value, string expected)
    {
        if (value == "PLOTS") value = Directory.CreateTempSubdirectory("sls-needed-plots-").FullName;
        string index = Path.Combine(Directory.CreateTempSubdirectory("sls-needed-").FullName, "x.sls.json");
        var (code, _, err) = CliRunner.Run(["prune", .. Model(), "--data", Task(20, 3), "--out", index, "--scoring", "needed", option, value]);
        Assert.Equal(2, code);
        var line = err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        Assert.Contains("--scoring", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.False(File.Exists(index));
    }

    [Fact]
    public void One_class_calibration_exits_2_naming_the_list()
    {
        var (code, _, err) = CliRunner.Run(["prune", .. Model(), "--data", Task(20, 2, only: "1"), "--out", Path.GetTempFileName()]);
        Assert.Equal(2, code);
        var line = err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        Assert.Contains("train800val200.txt", line, StringComparison.Ordinal);
        Assert.Contains("1 class", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_small_calibration_or_too_large_perplexity_exits_2()
    {
        string small = Task(6, 3);
        var (code, _, err) = CliRunner.Run(["prune", .. Model(), "--data", small, "--out", Path.GetTempFileName()]);
        Assert.Equal(2, code);
        Assert.Contains("perplexity 30 must be less than", err, StringComparison.Ordinal);
        var (code2, _, err2) = CliRunner.Run(["prune", .. Model(), "--data", Task(20, 3), "--perplexity", "60", "--out", Path.GetTempFileName()]);
        Assert.Equal(2, code2);
        Assert.Contains("has 60 images; t-SNE perplexity 60", err2, StringComparison.Ordinal);
    }

    [Fact]
    public void An_index_for_another_checkpoint_exits_2_unless_allowed()
    {
        string task = Task(20, 3);
        string index = Path.Combine(Directory.CreateTempSubdirectory("sls-ix-").FullName, "i.sls.json");
        Assert.Equal(0, CliRunner.Run(["prune", .. Model(), "--data", task, "--out", index]).Code);
        var other = Model("convpass.safetensors");
        var (code, output, err) = CliRunner.Run(["eval", .. other, "--data", task, "--index", index]);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        Assert.StartsWith($"sls: {index}: index was computed for a different PETL file", line, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run(["eval", .. other, "--data", task, "--index", index, "--allow-mismatch"]).Code);

        // the depth check holds even with --allow-mismatch
        var ix = File.ReadAllText(index).Replace("\"depth\": 3", "\"depth\": 12", StringComparison.Ordinal)
            .Replace("\"scores\": [", "\"scores\": [0, 0, 0, 0, 0, 0, 0, 0, 0, ", StringComparison.Ordinal);
        File.WriteAllText(index, ix);
        var (dcode, _, derr) = CliRunner.Run(["eval", .. Model(), "--data", task, "--index", index, "--allow-mismatch"]);
        Assert.Equal(2, dcode);
        Assert.Contains("12-block model", derr, StringComparison.Ordinal);
    }
}

public class TrainCommandTests
{
    [Fact]
    public void Train_then_prune_then_eval_without_extra_flags()
    {
        string task = PruneEvalCommandTests.Task(20, 3);
        string dir = Directory.CreateTempSubdirectory("sls-cli-train-").FullName;
        string petl = Path.Combine(dir, "petl.safetensors");
        var (code, output, err) = CliRunner.Run("train", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--heads", "3", "--data", task,
            "--petl-method", "repadapter", "--epochs", "4", "--warmup-epochs", "1", "--lr", "0.005", "--eval-every", "1", "--batch-size", "16",
            "--out", petl, "--device", "cpu", "--json");
        Assert.True(code == 0, err);
        var r = JsonDocument.Parse(output).RootElement;
        Assert.Equal(4, r.GetProperty("history").GetArrayLength());
        Assert.Contains("sls: train: epoch 4/4", err, StringComparison.Ordinal);
        Assert.True(File.Exists(petl) && File.Exists(petl + ".state.safetensors"));

        // the PETL file carries its settings: prune and eval need no --petl-scale
        string index = Path.Combine(dir, "i.sls.json");
        var p = CliRunner.Run("prune", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--heads", "3", "--petl", petl, "--data", task,
            "--out", index, "--device", "cpu");
        Assert.True(p.Code == 0, p.Err);
        var pruned = CliRunner.Run("eval", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--heads", "3", "--petl", petl, "--data", task,
            "--index", index, "--json", "--device", "cpu");
        Assert.True(pruned.Code == 0, pruned.Err);
        // the full model with the saved (best) weights scores exactly the accuracy training recorded for them
        var full = CliRunner.Run("eval", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--heads", "3", "--petl", petl, "--data", task,
            "--json", "--device", "cpu");
        Assert.True(full.Code == 0, full.Err);
        Assert.Equal(r.GetProperty("best_accuracy").GetDouble(), JsonDocument.Parse(full.Out).RootElement.GetProperty("top1").GetDouble(), 12);

        var bad = CliRunner.Run("train", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--data", task, "--petl-method", "lora", "--out",
            petl);
        Assert.Equal(2, bad.Code);
    }
}

public class RetrainCommandTests
{
    [Fact]
    public void Retraining_a_pruned_model_writes_kept_blocks_only_and_a_matching_index()
    {
        string task = PruneEvalCommandTests.Task(20, 3);
        string dir = Directory.CreateTempSubdirectory("sls-cli-retrain-").FullName;
        string bb = CliRunner.Fixture("backbone.safetensors");
        string petl = Path.Combine(dir, "petl.safetensors"), index = Path.Combine(dir, "i.sls.json"), re = Path.Combine(dir, "re.safetensors");
        string[] common = ["--backbone", bb, "--heads", "3", "--data", task, "--device", "cpu"];
        var t = CliRunner.Run(["train", .. common.Take(4), "--data", task, "--petl-method", "convpass", "--epochs", "3", "--warmup-epochs", "1",
            "--lr", "0.005", "--eval-every", "1", "--batch-size", "16", "--out", petl, "--device", "cpu"]);
        Assert.True(t.Code == 0, t.Err);
        var p = CliRunner.Run(["prune", .. common, "--petl", petl, "--out", index, "--alpha", "0.9"]);
        Assert.True(p.Code == 0, p.Err);
        int kept = JsonDocument.Parse(File.ReadAllText(index)).RootElement.GetProperty("kept_blocks").GetArrayLength();

        var (code, output, err) = CliRunner.Run(["train", .. common.Take(4), "--data", task, "--petl-method", "convpass", "--index", index,
            "--init-from", petl, "--strategy", "ft",
            "--epochs", "2", "--eval-every", "1", "--batch-size", "16", "--out", re, "--device", "cpu", "--json"]);
        Assert.True(code == 0, err);
        var r = JsonDocument.Parse(output).RootElement;
        Assert.Equal(1e-5, r.GetProperty("history")[0].GetProperty("lr").GetDouble(), 12); // ft: constant 1e-5
        using (var f = Core.Checkpoints.SafetensorsFile.Open(re))
        {
            Assert.DoesNotContain(f.Tensors, t => t.Name.StartsWith($"blocks.{kept}.", StringComparison.Ordinal));
            Assert.Contains(f.Tensors, t => t.Name.StartsWith($"blocks.{kept - 1}.adapter_attn.", StringComparison.Ordinal));
        }
        string reissued = r.GetProperty("index").GetString()!;
        var e = CliRunner.Run(["eval", .. common, "--petl", re, "--index", reissued, "--json"]);
        Assert.True(e.Code == 0, e.Err);
        Assert.Equal(kept, JsonDocument.Parse(e.Out).RootElement.GetProperty("blocks").GetInt32());

        // clr/ft need the task's weights; tfs must not be given them
        Assert.Equal(2, CliRunner.Run(["train", .. common.Take(4), "--data", task, "--petl-method", "convpass", "--index", index, "--out", re]).Code);
        Assert.Equal(2, CliRunner.Run(["train", .. common.Take(4), "--data", task, "--petl-method", "convpass", "--index", index, "--init-from", petl,
            "--strategy", "tfs", "--out", re]).Code);
    }
}
