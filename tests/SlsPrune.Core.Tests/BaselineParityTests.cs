using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Models;
using SlsPrune.Core.Pruning.Baselines;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>The baselines' numeric paths against PyTorch, NumPy and scikit-learn (scripts/make_baseline_fixtures.py):
/// pruned models (blocks dropped anywhere, heads and units sliced), SPLoRA, Taylor / L1 / L2 group importance,
/// SPA's adapted-weight importance, block influence, linear CKA and ridge probes.</summary>
public class BaselineParityTests
{
    private static string Parity(string name) => Fixtures.File(name);

    private static string Baselines(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "baselines", name);

    private static Dictionary<string, torch.Tensor> Expected()
    {
        using var f = SafetensorsFile.Open(Baselines("expected.safetensors"));
        return CheckpointFile.ReadAll(f);
    }

    private static ModelPlan Plan(Dictionary<string, torch.Tensor> e) => new(3, [0, 2], new Dictionary<int, BlockWidth>
    {
        [0] = new BlockWidth([0, 2], e["plan.units0"].data<long>().Select(i => (int)i).ToArray()),
    });

    [Theory]
    [InlineData("convpass", false)]
    [InlineData("splora", false)]
    [InlineData("splora", true)]
    public void A_pruned_model_matches_the_masked_reference(string method, bool pruned)
    {
        var e = Expected();
        var images = Fixtures.Expected()["images"];
        string petl = method == "convpass" ? Parity("convpass.safetensors") : Baselines("splora.safetensors");
        var plan = method == "convpass" || pruned ? Plan(e) : null;
        var loaded = ModelFactory.Build(new ModelOptions(Parity("backbone.safetensors"), petl, Heads: 3), plan: plan);
        using var _ = torch.no_grad();
        var logits = loaded.Model.forward(images);
        string key = method == "convpass" ? "convpass.pruned.logits" : pruned ? "splora.pruned.logits" : "splora.logits";
        Assert.InRange(Fixtures.RelativeError(logits, e[key]), 0, 1e-5);
        if (plan is not null)
        {
            Assert.Equal(2, Fixtures.Vit(loaded).Config.Depth);
            var sd = loaded.Model.state_dict();
            Assert.Equal([3L * 2 * 16, 48], sd["blocks.0.attn.qkv.weight"].shape);     // 2 heads of 16
            Assert.Equal([48L, 32], sd["blocks.0.attn.proj.weight"].shape);
            Assert.Equal([60L, 48], sd["blocks.0.mlp.fc1.weight"].shape);
            Assert.Equal([48L, 96], sd["blocks.1.mlp.fc2.weight"].shape);             // block 2 (0-based) at full width
        }
    }

    [Fact]
    public void Head_dimension_pruning_matches_the_masked_reference_and_keeps_the_logit_scale()
    {
        var e = Expected();
        int[] Ints(string k) => e[k].data<long>().Select(i => (int)i).ToArray();
        var plan = new ModelPlan(3, [0, 1, 2], new Dictionary<int, BlockWidth>
        {
            [1] = new BlockWidth([0, 1, 2], Enumerable.Range(0, 96).ToArray(), Ints("dims.plan1")),
            [2] = new BlockWidth([0, 1, 2], Ints("dims.units2"), Ints("dims.plan2")),
        });
        var loaded = ModelFactory.Build(new ModelOptions(Parity("backbone.safetensors"), Parity("convpass.safetensors"), Heads: 3), plan: plan);
        Assert.Equal([3L * 3 * 10, 48], loaded.Model.state_dict()["blocks.1.attn.qkv.weight"].shape);
        Assert.Equal([48L, 36], loaded.Model.state_dict()["blocks.2.attn.proj.weight"].shape);
        using var _ = torch.no_grad();
        Assert.InRange(Fixtures.RelativeError(loaded.Model.forward(Fixtures.Expected()["images"]), e["convpass.dims.logits"]), 0, 1e-5);
        // FLOPs count the narrower attention: 10 and 12 of 16 dimensions, 70 of 96 units in block 3
        var c = Fixtures.Vit(loaded).Config;
        using var fullModel = new VisionTransformer(c, loaded.Petl);
        long full = fullModel.FlopsPerImage();
        long pruned = loaded.Model.FlopsPerImage();
        long n = c.Tokens, d = c.Width;
        long saved = (n * d * 3 * 18 + 2 * n * n * 18 + n * 18 * d) + (n * d * 3 * 12 + 2 * n * n * 12 + n * 12 * d) + 2 * n * d * 26;
        Assert.Equal(full - 2 * saved, pruned);
    }

    [Fact]
    public void Masked_adapters_load_as_they_are()
    {
        // spa writes the adapters already sliced; the loader must take them without slicing again
        var e = Expected();
        var plan = Plan(e);
        using var f = CheckpointFile.Open(Baselines("splora.safetensors"));
        var full = CheckpointFile.ReadAll(f);
        var sliced = new ModelPlan(3, [0, 1, 2], plan.Widths).Apply(full, _ => new VitConfig(8, 4, 48, 3, 3, 96, 5).BlockSizes,
            new SpLoraMethod().SliceRules);
        Assert.Equal([3L * 2 * 16, 8], sliced["blocks.0.attn.qkv.lora_B.weight"].shape);
        Assert.Equal([8L, 60], sliced["blocks.0.mlp.fc2.lora_A.weight"].shape);
        Assert.Equal([8L, 32], sliced["blocks.0.attn.proj.lora_A.weight"].shape);
        string dir = Directory.CreateTempSubdirectory("sls-masked-").FullName;
        string masked = Path.Combine(dir, "masked.safetensors");
        SafetensorsWriter.Write(masked, sliced, f.Metadata);
        var loaded = ModelFactory.Build(new ModelOptions(Parity("backbone.safetensors"), masked, Heads: 3), plan: plan);
        using var _ = torch.no_grad();
        Assert.InRange(Fixtures.RelativeError(loaded.Model.forward(Fixtures.Expected()["images"]), e["splora.pruned.logits"]), 0, 1e-5);
        Directory.Delete(dir, true);
    }

    [Theory]
    [InlineData(WidthCriterion.Taylor)]
    [InlineData(WidthCriterion.L1)]
    [InlineData(WidthCriterion.L2)]
    public void Group_importance_matches_pytorch(WidthCriterion criterion)
    {
        var e = Expected();
        var images = Fixtures.Expected()["images"];
        var loaded = ModelFactory.Build(new ModelOptions(Parity("backbone.safetensors"), Parity("convpass.safetensors"), Heads: 3));
        // two batches of one image each: gradients accumulate over batches
        var batches = new[] { (images[0..1], torch.tensor(new long[] { 1 })), (images[1..2], torch.tensor(new long[] { 3 })) };
        var grads = criterion == WidthCriterion.Taylor ? WidthPruner.TaylorGradients(loaded.Model, batches, torch.CPU) : null;
        var p = loaded.Model.named_parameters().ToDictionary(x => x.name, x => (torch.Tensor)x.parameter);
        string name = WidthImportance.Name(criterion);
        for (int b = 0; b < 3; b++)
        {
            var w = new[] { "qkv.weight", "qkv.bias", "proj.weight" }.ToDictionary(k => k, k => p[$"blocks.{b}.attn.{k}"]);
            foreach (var k in new[] { "fc1.weight", "fc1.bias", "fc2.weight" }) w[k] = p[$"blocks.{b}.mlp.{k}"];
            var g = grads is null ? null : w.Keys.ToDictionary(k => k,
                k => grads[$"blocks.{b}.{(k.StartsWith("fc", StringComparison.Ordinal) ? "mlp" : "attn")}.{k}"]);
            var imp = WidthImportance.Score(w, g, criterion, Fixtures.Vit(loaded).Config.BlockSizes);
            Assert.InRange(Fixtures.RelativeError(torch.tensor(imp.Heads), e[$"{name}.heads"][b]), 0, 1e-5);
            Assert.InRange(Fixtures.RelativeError(torch.tensor(imp.Units), e[$"{name}.units"][b]), 0, 1e-5);
            Assert.InRange(Fixtures.RelativeError(torch.tensor(imp.HeadDims), e[$"{name}.dims"][b]), 0, 1e-5);
        }
    }

    [Fact]
    public void Spa_ranks_the_adapted_weight()
    {
        var e = Expected();
        var loaded = ModelFactory.Build(new ModelOptions(Parity("backbone.safetensors"), Baselines("splora.safetensors"), Heads: 3));
        Assert.Equal(new SpLoraMethod(), loaded.Petl.Method);
        Assert.Equal(0.6, loaded.Petl.Scale);
        var sd = loaded.Model.state_dict();
        for (int b = 0; b < 3; b++)
        {
            torch.Tensor Adapted(string layer) => sd[$"blocks.{b}.{layer}.weight"] + sd[$"blocks.{b}.{layer}.lora_B.weight"].matmul(sd[$"blocks."
                + $"{b}.{layer}.lora_A.weight"]) * 0.6;
            var w = new Dictionary<string, torch.Tensor>
            {
                ["qkv.weight"] = Adapted("attn.qkv"), ["qkv.bias"] = sd[$"blocks.{b}.attn.qkv.bias"], ["proj.weight"] = Adapted("attn.proj"),
                ["fc1.weight"] = Adapted("mlp.fc1"), ["fc1.bias"] = sd[$"blocks.{b}.mlp.fc1.bias"], ["fc2.weight"] = Adapted("mlp.fc2"),
            };
            var imp = WidthImportance.Score(w, null, WidthCriterion.L1, Fixtures.Vit(loaded).Config.BlockSizes);
            Assert.InRange(Fixtures.RelativeError(torch.tensor(imp.Heads), e["spa.l1.heads"][b]), 0, 1e-5);
            Assert.InRange(Fixtures.RelativeError(torch.tensor(imp.Units), e["spa.l1.units"][b]), 0, 1e-5);
        }
    }

    [Fact]
    public void Block_influence_matches_pytorch()
    {
        var e = Expected();
        var loaded = ModelFactory.Build(new ModelOptions(Parity("backbone.safetensors"), Parity("convpass.safetensors"), Heads: 3));
        var images = Fixtures.Expected()["images"];
        // one batch of two, or two batches of one: the mean is over every token either way
        var one = BlockInfluence.Measure(loaded.Model, [images], torch.CPU);
        var two = BlockInfluence.Measure(loaded.Model, [images[0..1], images[1..2]], torch.CPU);
        Assert.InRange(Fixtures.RelativeError(torch.tensor(one), e["bi"]), 0, 1e-6);
        Assert.InRange(Fixtures.RelativeError(torch.tensor(two), e["bi"]), 0, 1e-6);
    }

    [Fact]
    public void Linear_cka_matches_numpy()
    {
        var e = Expected();
        double cka = LinearCka.Compute(e["cka.x"], e["cka.y"]);
        Assert.Equal(e["cka.value"][0].item<double>(), cka, 1e-12);
        Assert.Equal(1.0, LinearCka.Compute(e["cka.x"], e["cka.x"] * 3 + 1), 1e-12);   // invariant to scale and shift
        Assert.InRange(cka, 0.05, 0.99);
    }

    [Theory]
    [InlineData("probe4", 4)]
    [InlineData("probe2", 2)]
    public void Ridge_probe_matches_scikit_learn(string name, int classes)
    {
        var e = Expected();
        long[] ytr = e[$"{name}.ytr"].data<long>().ToArray(), yte = e[$"{name}.yte"].data<long>().ToArray();
        var (coef, intercept) = RidgeProbe.Fit(e[$"{name}.xtr"], ytr, classes);
        Assert.InRange(Fixtures.RelativeError(coef, e[$"{name}.coef"]), 0, 1e-10);
        Assert.InRange(Fixtures.RelativeError(intercept, e[$"{name}.intercept"]), 0, 1e-10);
        double acc = RidgeProbe.Accuracy(e[$"{name}.xtr"], ytr, e[$"{name}.xte"], yte, classes);
        Assert.Equal(e[$"{name}.accuracy"][0].item<double>(), acc, 12);
        Assert.InRange(acc, 0.3, 0.999);   // the blobs overlap: a probe that is neither trivial nor perfect
    }

    [Fact]
    public void Layer_decisions_follow_the_alpha_rule_or_the_budget()
    {
        // per-block importance: cumulative 0.5, 0.9, 1.0, 1.05; alpha 0.8 -> T = 0.84: layer 1 is the first below
        var c = LayerDecision.Choose([0.5, 0.4, 0.1, 0.05], perBlockImportance: true, alpha: 0.8, keepBlocks: null);
        Assert.Equal([1, 2], c.Kept);
        Assert.Equal(0.84, c.Threshold!.Value, 12);
        // a budget keeps the most important blocks wherever they are
        var two = LayerDecision.Choose([0.5, 0.05, 0.4, 0.1], true, 0.3, 2);
        Assert.Equal([1, 3], two.Kept);
        Assert.Equal("budget: keep the 2 most important blocks, drop 2, 4", two.Reason);
        // a budget of every block says so, not "drop" and nothing
        Assert.Equal("budget: keep all 4 blocks, drop none", LayerDecision.Choose([0.5, 0.05, 0.4, 0.1], true, 0.3, 4).Reason);
        // depth-wise scores (probe accuracy) keep leading blocks
        Assert.Equal([1, 2, 3], LayerDecision.Choose([0.2, 0.5, 0.9, 0.95], false, 0.6, null).Kept);
        Assert.Equal([1, 2], LayerDecision.Choose([0.2, 0.5, 0.9, 0.95], false, 0.6, 2).Kept);
        Assert.Throws<SlsInputException>(() => LayerDecision.Choose([0.2, 0.5], false, 0.6, 3));
    }

    [Fact]
    public void Uniform_ratio_keeps_the_top_channels_in_order()
    {
        Assert.Equal([0, 3], WidthImportance.Top([5, 1, 2, 5], 2));
        Assert.Equal([1, 2, 3], WidthImportance.Top([0, 1, 1, 1], 3));
        Assert.Equal(6, WidthImportance.Kept(12, 0.5));
        Assert.Equal(1, WidthImportance.Kept(3, 0.9));
        Assert.Equal(2, WidthImportance.Kept(3, 0.5));   // 1.5 rounds away from zero
    }
}
