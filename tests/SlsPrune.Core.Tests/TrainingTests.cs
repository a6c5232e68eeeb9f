using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Petl.Methods;
using SlsPrune.Core.Training;
using TorchSharp;
using TorchSharp.Modules;

namespace SlsPrune.Core.Tests;

/// <summary>Tests that seed and draw from torch's global generator (initialisation, dropout) run one at a time.</summary>
[CollectionDefinition(nameof(GlobalTorchRng), DisableParallelization = true)]
public sealed class GlobalTorchRng { }

[Collection(nameof(GlobalTorchRng))]
public class TrainingTests
{
    [Fact]
    public void AdamW_matches_pytorch_step_by_step()
    {
        using var f = SafetensorsFile.Open(Path.Combine(AppContext.BaseDirectory, "fixtures", "training", "adamw.safetensors"));
        var d = CheckpointFile.ReadAll(f);
        var p = new Parameter(d["p0"].clone());
        using var opt = new Training.AdamW([("w", p)], weightDecay: 1e-4);
        var lrs = d["lrs"].data<double>().ToArray();
        for (int t = 0; t < lrs.Length; t++)
        {
            p.grad = d[$"g.{t}"].clone();
            opt.Step(lrs[t]);
            Assert.InRange(Fixtures.RelativeError(p.detach(), d[$"p.{t + 1}"]), 0, 1e-6);
        }
        Assert.Equal(lrs.Length, opt.Steps);
    }

    /// <summary>The flat step (every parameter of a dtype in one buffer) gives bit for bit what stepping each
    /// parameter alone gives, over shapes whose sizes leave vector tails, and skips a parameter without a gradient
    /// (no weight decay either) as PyTorch does.</summary>
    [Fact]
    public void AdamW_flat_step_equals_each_parameter_stepped_alone()
    {
        var g = new torch.Generator(5);
        long[][] shapes = [[7, 3], [13], [2, 5, 3, 3], [1]];
        var together = shapes.Select(s => new Parameter(torch.randn(s, generator: g))).ToList();
        var alone = together.Select(p => new Parameter(p.detach().clone())).ToList();
        using var flat = new Training.AdamW(together.Select((p, i) => ($"p{i}", p)), weightDecay: 1e-2);
        var singles = alone.Select((p, i) => new Training.AdamW([($"p{i}", p)], weightDecay: 1e-2)).ToList();
        for (int step = 0; step < 6; step++)
        {
            for (int i = 0; i < shapes.Length; i++)
            {
                var grad = step == 3 && i == 1 ? null : torch.randn(shapes[i], generator: g);
                together[i].grad = grad?.clone();
                alone[i].grad = grad?.clone();
            }
            double lr = 1e-3 * (step + 1);
            flat.Step(lr);
            foreach (var opt in singles) opt.Step(lr); // one without a gradient counts the step and skips it, as the flat one
            for (int i = 0; i < shapes.Length; i++)
                Assert.True(Fixtures.Same(together[i].detach(), alone[i].detach()), $"parameter {i} differs after step {step + 1}");
        }
        var state = flat.StateDict();
        Assert.True(Fixtures.Same(state["optim.p2.exp_avg"], singles[2].StateDict()["optim.p2.exp_avg"]));
        Assert.Equal(shapes[2], state["optim.p2.exp_avg_sq"].shape);
        foreach (var s in singles) s.Dispose();
    }

    [Fact]
    public void Schedule_is_timm_cosine_with_linear_warmup_per_epoch()
    {
        var s = new LrSchedule(1e-3, 100, 10, 1e-5);
        Assert.Equal(1e-6, s.At(0), 15);
        Assert.Equal(1e-6 + 5 * (1e-3 - 1e-6) / 10, s.At(5), 15);
        Assert.Equal(1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + Math.Cos(Math.PI * 10 / 100)), s.At(10), 15);
        Assert.Equal(1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + Math.Cos(Math.PI * 99 / 100)), s.At(99), 15);
        Assert.Equal(1e-5, new LrSchedule(1e-5, 100, 10, 1e-5, Constant: true).At(0));
    }

    /// <summary>A task whose three classes differ in brightness, stripes and colour (60 + 30 images).</summary>
    internal static string PatternTask()
    {
        var dir = Directory.CreateTempSubdirectory("sls-train-task-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        var rng = new Random(3);
        var train = new List<string>();
        var test = new List<string>();
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 30; i++)
            {
                var px = new byte[32 * 32 * 3];
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        for (int ch = 0; ch < 3; ch++)
                            px[(y * 32 + x) * 3 + ch] = (byte)Math.Clamp(60 * c + (c == 1 && (x / 4) % 2 == 0 ? 80 : 0) + (c == 2 && ch == 2 ? 90
                                : 0) + rng.Next(60), 0, 255);
                string rel = $"images/{c}_{i}.png";
                File.WriteAllBytes(Path.Combine(dir, rel), PngEncoder.Encode(32, 32, 3, px));
                (i < 20 ? train : test).Add($"{rel} {c}");
            }
        File.WriteAllLines(Path.Combine(dir, "train800val200.txt"), train);
        File.WriteAllLines(Path.Combine(dir, "test.txt"), test);
        return dir;
    }

    private static TrainOptions Options(string task, string outFile, PetlMethod method, int epochs = 4) =>
        new(new ModelOptions(Fixtures.File("backbone.safetensors"), Heads: 3, Device: "cpu", BatchSize: 16), task, new PetlSettings(method, 8, 1.0),
            outFile,
            Epochs: epochs, WarmupEpochs: 1, Lr: 5e-3, EvalEvery: 1);

    [Theory]
    [InlineData("linear")]
    [InlineData("convpass")]
    [InlineData("repadapter")]
    [InlineData("lora")]
    [InlineData("adaptformer")]
    [InlineData("vpt")]
    [InlineData("splora")]
    public void Training_learns_the_task_and_writes_a_loadable_petl_file(string name)
    {
        var method = PetlMethods.ByName(name)!;
        string task = PatternTask();
        string outFile = Path.Combine(Directory.CreateTempSubdirectory("sls-train-").FullName, "petl.safetensors");
        var r = PetlTrainer.Run(Options(task, outFile, method, epochs: 6));
        Assert.True(r.History[^1].Loss < r.History[0].Loss, $"loss {r.History[0].Loss} -> {r.History[^1].Loss}");
        Assert.True(r.BestAccuracy >= 0.9, $"best accuracy {r.BestAccuracy}");
        using (var f = SafetensorsFile.Open(outFile))
        {
            Assert.Equal(name, f.Metadata["petl_method"]);
            Assert.Equal("3", f.Metadata["num_classes"]);
            Assert.All(f.Tensors, t => Assert.True(PetlMethods.IsTaskParameter(t.Name), t.Name)); // nothing of the frozen backbone
            if (method.HiddenDimProbe is var (probe, _))
            {
                Assert.Contains(f.Tensors, t => t.Name == probe);
                // the zero-initialised half (up / B) moved away from zero, or the prompts from their init: it trained
                string moved = name switch
                {
                    "lora" => "blocks.2.attn.qkv.lora_B.weight",
                    "splora" => "blocks.2.mlp.fc2.lora_B.weight",
                    "adaptformer" => "blocks.2.adapter_mlp.up_proj.weight",
                    "convpass" => "blocks.2.adapter_mlp.adapter_up.weight",
                    "repadapter" => "blocks.2.adapter_mlp.conv_B.weight",
                    _ => probe,
                };
                using var w = f.Read(moved);
                Assert.True(w.abs().max().item<float>() > 1e-4, moved);
            }
        }
        // the written file loads through the normal path and reproduces the best accuracy
        var loaded = ModelFactory.Build(new ModelOptions(Fixtures.File("backbone.safetensors"), outFile, Heads: 3));
        Assert.Equal(method, loaded.Petl.Method);
        Assert.Equal(3, loaded.Model.NumClasses);
    }

    [Fact]
    public void An_interrupted_run_resumes_to_the_same_result()
    {
        string task = PatternTask();
        string a = Path.Combine(Directory.CreateTempSubdirectory("sls-train-a-").FullName, "petl.safetensors");
        string b = Path.Combine(Directory.CreateTempSubdirectory("sls-train-b-").FullName, "petl.safetensors");
        var straight = PetlTrainer.Run(Options(task, a, new ConvpassMethod()));

        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(rep => { if (rep.Epoch == 2) cts.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => PetlTrainer.Run(Options(task, b, new ConvpassMethod()), progress, cts.Token));
        Assert.True(File.Exists(PetlTrainer.StatePath(b)));
        var resumed = PetlTrainer.Run(Options(task, b, new ConvpassMethod()));
        Assert.Equal(2, resumed.ResumedFromEpoch);
        Assert.Equal(straight.History[^1].Loss, resumed.History[^1].Loss, 6);

        using var fa = SafetensorsFile.Open(PetlTrainer.StatePath(a));
        using var fb = SafetensorsFile.Open(PetlTrainer.StatePath(b));
        var da = CheckpointFile.ReadAll(fa);
        var db = CheckpointFile.ReadAll(fb);
        foreach (var (k, v) in da.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal)))
            Assert.InRange(Fixtures.RelativeError(db[k], v), 0, 1e-6);
    }

    [Fact]
    public void A_kept_split_gives_the_loaders_batches()
    {
        var items = Data.VtabTask.Open(PatternTask()).Read("train800val200");
        var p = new Preprocessor(32, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        long budget = 1L << 30;
        using var cache = SplitCache.TryCreate(items, p, 16, ref budget)!;
        Assert.Equal((1L << 30) - 60 * (3 * 32 * 32 * 4 + 8), budget);
        foreach (int? seed in new int?[] { null, 7 })
        {
            var kept = cache.Batches(16, seed).ToList();
            var read = Data.BatchLoader.Batches(items, p, 16, seed).ToList();
            Assert.Equal(read.Count, kept.Count);
            foreach (var (k, r) in kept.Zip(read))
            {
                Assert.True(Fixtures.Same(k.Images, r.Images), $"images of the batch at {r.Offset} (seed {seed})");
                Assert.True(Fixtures.Same(k.Labels, r.Labels), $"labels of the batch at {r.Offset} (seed {seed})");
            }
        }
        long small = 60L * 3 * 32 * 32 * 4 - 1;
        Assert.Null(SplitCache.TryCreate(items, p, 16, ref small)); // over the budget: nothing kept, nothing taken
        Assert.Equal(60L * 3 * 32 * 32 * 4 - 1, small);
    }

    /// <summary>A fit on kept images is the fit from the files, bit for bit; a linear probe on kept tokens (the frozen
    /// backbone run once per split) ends where the one that runs the backbone every epoch ends (the tokens of an image
    /// may differ in the last bit with the batch it was computed in); the frozen backbone never gets a gradient.</summary>
    [Theory]
    [InlineData("convpass", 0.0)]
    [InlineData("linear", 1e-5)]
    public void Keeping_the_splits_in_memory_trains_the_same_model(string name, double tolerance)
    {
        string task = PatternTask();
        var t = Data.VtabTask.Open(task);
        var train = t.Read("train800val200");
        var test = t.Read("test");
        var petl = new PetlSettings(PetlMethods.ByName(name)!, 8, 1.0);
        var settings = new FitSettings(3, 1, 5e-3, 1e-5, 1e-4, 16, 0, 1, false);
        (FitResult Fit, Dictionary<string, torch.Tensor> Weights) Fit(long cacheBytes)
        {
            torch.manual_seed(0);
            using var built = ModelFactory.BuildTrainable(new ModelOptions(Fixtures.File("backbone.safetensors"), Heads: 3, Device: "cpu",
                BatchSize: 16), new TrainableRequest(petl, 3));
            var fit = PetlFit.Run(built.Model, train, test, settings with { CacheBytes = cacheBytes }, torch.CPU);
            foreach (var (n, p) in built.Model.named_parameters().Where(np => !PetlMethods.IsTaskParameter(np.name)))
            {
                Assert.False(p.requires_grad, n);
                Assert.Null(p.grad); // no gradient buffer for the frozen backbone
            }
            return (fit, PetlFit.TaskTensors(built.Model, ModelPlan.Full(built.Model.Depth)));
        }
        var (streamed, ws) = Fit(0);
        var (kept, wk) = Fit(1L << 30);
        Assert.Equal(streamed.History.Select(h => h.Accuracy), kept.History.Select(h => h.Accuracy));
        foreach (var (a, b) in streamed.History.Zip(kept.History)) Assert.Equal(a.Loss, b.Loss, tolerance == 0 ? 15 : 5);
        foreach (var (k, v) in ws)
            if (tolerance == 0) Assert.True(Fixtures.Same(v, wk[k]), k);
            else Assert.InRange(Fixtures.RelativeError(wk[k], v), 0, tolerance);
    }

    private sealed class SyncProgress(Action<EpochReport> action) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => action(value);
    }
}

[Collection(nameof(GlobalTorchRng))]
public class PretrainTests
{
    /// <summary>An upstream set of <paramref name="n"/> 28x28 images in 2 classes (bright top half vs bright bottom half)
    /// with noise, in a new folder.</summary>
    private static (string Dir, string Upstream) Upstream(int n, string prefix)
    {
        var rng = new Random(5);
        var pixels = new byte[n * 28 * 28];
        var labels = new long[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                    pixels[i * 784 + y * 28 + x] = (byte)Math.Clamp((y < 14 == (labels[i] == 0) ? 180 : 40) + rng.Next(-40, 40), 0, 255);
        }
        string dir = Directory.CreateTempSubdirectory(prefix).FullName;
        string upstream = Path.Combine(dir, "train.safetensors");
        using var images = TorchSharp.torch.tensor(pixels, [n, 28, 28], TorchSharp.torch.uint8);
        using var classes = TorchSharp.torch.tensor(labels);
        Checkpoints.SafetensorsWriter.Write(upstream, new Dictionary<string, TorchSharp.torch.Tensor> { ["images"] = images, ["labels"] = classes });
        return (dir, upstream);
    }
    [Fact]
    public void Pretraining_learns_the_upstream_task_and_writes_a_loadable_backbone()
    {
        var (dir, upstream) = Upstream(256, "sls-pretrain-");
        string output = Path.Combine(dir, "backbone.safetensors");
        var r = BackbonePretrainer.Run(new PretrainOptions(upstream, output, ImageSize: 16, PatchSize: 8, Width: 48,
            Shape: ShapeValues.Defaults.With("--depth", 2).With("--heads", 3).With("--mlp", 96), Epochs: 6, WarmupSteps: 8, Lr: 1e-3, BatchSize: 32,
                Device: "cpu"));
        Assert.Equal(6, r.History.Count);
        Assert.True(r.History[^1].Loss < r.History[0].Loss, $"loss {r.History[0].Loss} -> {r.History[^1].Loss}");
        Assert.True(r.History[^1].Accuracy > 0.9, string.Join("; ", r.History.Select(h => $"loss {h.Loss:F4} acc {h.Accuracy:F3} lr {h.Lr:G3}")));
        var report = Inspection.InspectRunner.Inspect(output, 3);
        Assert.Equal((8, 16, 48, 2, 2), (report.Architecture!.PatchSize, report.Architecture.ImageSize, report.Architecture.Width,
            report.Architecture.Depth, report.Architecture.NumClasses));
        Assert.Equal("slsprune-backbone/1", report.Metadata["format"]);
        Assert.Equal("none", report.Metadata["augment"]);
    }

    [Fact]
    public void Pretrain_trains_a_small_swin_deterministically_for_a_seed()
    {
        var (dir, upstream) = Upstream(128, "sls-pretrain-swin-");
        var shape = ShapeValues.Defaults.With("--depths", 1, 2).With("--window", 4).With("--mlp-ratio", 2);
        PretrainOptions Options(string name) => new(upstream, Path.Combine(dir, name), ImageSize: 16, PatchSize: 2, Width: 8, Epochs: 3,
            WarmupSteps: 4,
            Lr: 2e-3, BatchSize: 32, Seed: 3, Device: "cpu", Family: "swin", Shape: shape.With("--stage-heads", 1, 2));
        var r = BackbonePretrainer.Run(Options("a.safetensors"));
        BackbonePretrainer.Run(Options("b.safetensors"));
        Assert.True(r.History[^1].Loss < r.History[0].Loss, string.Join("; ", r.History.Select(h => $"loss {h.Loss:F4} acc {h.Accuracy:F3}")));
        Assert.Equal(System.IO.File.ReadAllBytes(Path.Combine(dir, "a.safetensors")), System.IO.File.ReadAllBytes(Path.Combine(dir,
            "b.safetensors")));

        using var built = ModelFactory.Build(new ModelOptions(r.Out, ImageSize: 16, Device: "cpu"));
        var swin = Assert.IsType<Models.Swin.SwinTransformer>(built.Model);
        Assert.Equal((2, 8, 16, 2, 3), (swin.Config.PatchSize, swin.Config.EmbedWidth, swin.Config.ImageSize, swin.Config.NumClasses,
            swin.Config.Depth));
        Assert.Equal([1, 2], swin.Config.Heads);
        Assert.Equal([4, 4], swin.Config.Windows);
        var e = Assert.Throws<SlsInputException>(() => BackbonePretrainer.Run(Options("c.safetensors") with
        {
            Shape = shape.With("--stage-heads", 3,
            2)
        }));
        Assert.Equal("--stage-heads: stage 1's width 8 is not a multiple of its 3 heads", e.Message);
    }
}
