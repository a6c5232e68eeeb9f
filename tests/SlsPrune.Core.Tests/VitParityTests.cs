using System.Globalization;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Vit;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>Logits and every block's cls token against PyTorch (scripts/make_parity_fixtures.py).</summary>
public class VitParityTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string, string?, string> Cases()
    {
        var data = new TheoryData<string, string?, string>();
        foreach (var backbone in new[] { "backbone.safetensors", "backbone.pth", "backbone.npz" })
        {
            data.Add(backbone, "linear.safetensors", "linear");
            data.Add(backbone, "convpass.safetensors", "convpass");
            data.Add(backbone, "convpass.pt", "convpass");
            data.Add(backbone, "repadapter.safetensors", "repadapter");
            data.Add(backbone, "repadapter.pt", "repadapter");
            data.Add(backbone, "lora.safetensors", "lora");
            data.Add(backbone, "adaptformer.safetensors", "adaptformer");
            data.Add(backbone, "vpt.safetensors", "vpt");
        }
        return data;
    }

    private static double? ScaleFor(string petl, string method)
    {
        if (!petl.EndsWith(".pt", StringComparison.Ordinal)) return null; // from metadata
        var md = Fixtures.ExpectedMetadata();
        return double.Parse(md[$"{method}_scale"], CultureInfo.InvariantCulture);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Logits_and_cls_tokens_match_pytorch(string backbone, string? petl, string method)
    {
        var expected = Fixtures.Expected();
        var loaded = ModelFactory.Build(new ModelOptions(Fixtures.File(backbone), petl is null ? null : Fixtures.File(petl), Heads: 3,
            PetlScale: ScaleFor(petl!, method)));
        Assert.Equal(method, loaded.Petl.Method.Name);
        var c = Fixtures.Vit(loaded).Config;
        Assert.Equal((8, 4, 48, 3, 3, 96, 5, true, 32), (c.PatchSize, c.GridSize, c.Width, c.Depth, c.Heads, c.MlpHidden, c.NumClasses,
            c.HasPreLogits, c.ImageSize));
        using var _ = torch.no_grad();
        var (cls, logits) = loaded.Model.ForwardIntermediates(expected["images"]);
        Assert.InRange(Fixtures.RelativeError(logits!, expected[$"{method}.logits"]), 0, Tolerance);
        Assert.InRange(Fixtures.RelativeError(cls, expected[$"{method}.cls"]), 0, Tolerance);
        for (int i = 0; i < 3; i++)
            Assert.InRange(Fixtures.RelativeError(cls[i], expected[$"{method}.cls"][i]), 0, Tolerance);
        Assert.InRange(Fixtures.RelativeError(loaded.Model.forward(expected["images"]), expected[$"{method}.logits"]), 0, Tolerance);
    }

    [Fact]
    public void Adapters_change_the_output()
    {
        // Guards the fixtures themselves: a method whose adapters did nothing would pass parity vacuously.
        var e = Fixtures.Expected();
        Assert.True(Fixtures.RelativeError(e["convpass.cls"], e["linear.cls"]) > 0.05);
        Assert.True(Fixtures.RelativeError(e["repadapter.cls"], e["linear.cls"]) > 0.05);
        foreach (var m in new[] { "lora", "adaptformer", "vpt" })
            Assert.True(Fixtures.RelativeError(e[$"{m}.cls"], e["linear.cls"]) > 0.05, m);
    }

    [Fact]
    public void Merged_repadapter_gives_the_unmerged_outputs()
    {
        var images = Fixtures.Expected()["images"];
        var options = new ModelOptions(Fixtures.File("backbone.safetensors"), Fixtures.File("repadapter.safetensors"), Heads: 3);
        var plain = ModelFactory.Build(options);
        var merged = ModelFactory.Build(options with { Merge = true });
        Assert.True(merged.Merged);
        Assert.DoesNotContain(merged.Model.state_dict().Keys, k => k.Contains("adapter", StringComparison.Ordinal));
        using var _ = torch.no_grad();
        var (c1, l1) = plain.Model.ForwardIntermediates(images);
        var (c2, l2) = merged.Model.ForwardIntermediates(images);
        Assert.InRange(Fixtures.RelativeError(l2!, l1!), 0, Tolerance);
        Assert.InRange(Fixtures.RelativeError(c2, c1), 0, Tolerance);
    }

    [Fact]
    public void First_k_blocks_equal_a_model_built_with_k_blocks()
    {
        var images = Fixtures.Expected()["images"];
        var options = new ModelOptions(Fixtures.File("backbone.safetensors"), Fixtures.File("convpass.safetensors"), Heads: 3);
        var full = ModelFactory.Build(options);
        var pruned = ModelFactory.Build(options, plan: ModelPlan.Leading(3, 2));
        Assert.Equal(2, Fixtures.Vit(pruned).Config.Depth);
        Assert.DoesNotContain(pruned.Model.state_dict().Keys, k => k.StartsWith("blocks.2.", StringComparison.Ordinal));
        using var _ = torch.no_grad();
        var a = full.Model.ForwardFirst(images, 2);
        var b = pruned.Model.forward(images);
        Assert.True(torch.allclose(a, b, rtol: 0, atol: 0));
        // and it is not the full model's output
        Assert.True(Fixtures.RelativeError(b, full.Model.forward(images)) > 1e-3);
        // the cls token of block 2 from the pruned model is block 2's from the reference
        var (cls, _) = pruned.Model.ForwardIntermediates(images);
        Assert.InRange(Fixtures.RelativeError(cls[1], Fixtures.Expected()["convpass.cls"][1]), 0, Tolerance);
    }

    [Fact]
    public void A_k_block_model_never_reads_later_blocks()
    {
        // Poison block 2 with NaN; a 2-block model built from the file must not see it.
        using var src = SlsPrune.Core.Checkpoints.CheckpointFile.Open(Fixtures.File("backbone.safetensors"));
        var weights = SlsPrune.Core.Checkpoints.CheckpointFile.ReadAll(src);
        foreach (var k in weights.Keys.Where(k => k.StartsWith("blocks.2.", StringComparison.Ordinal)).ToList())
            weights[k] = torch.full_like(weights[k], double.NaN);
        string dir = Directory.CreateTempSubdirectory("sls-poison-").FullName;
        string poisoned = Path.Combine(dir, "poisoned.safetensors");
        SlsPrune.Core.Checkpoints.SafetensorsWriter.Write(poisoned, weights);
        var images = Fixtures.Expected()["images"];
        var clean = ModelFactory.Build(new ModelOptions(Fixtures.File("backbone.safetensors"), Fixtures.File("linear.safetensors"), Heads: 3),
            plan: ModelPlan.Leading(3, 2));
        var fromPoisoned = ModelFactory.Build(new ModelOptions(poisoned, Fixtures.File("linear.safetensors"), Heads: 3), plan: ModelPlan.Leading(3,
            2));
        using var _ = torch.no_grad();
        var a = fromPoisoned.Model.forward(images);
        Assert.False(a.isnan().any().item<bool>());
        Assert.True(Fixtures.Same(clean.Model.forward(images), a));
        // the full model reads block 2, and refuses it by name
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(poisoned, Fixtures.File("linear.safetensors"), Heads: 3)));
        Assert.Equal($"{poisoned}: tensor 'blocks.2.attn.proj.bias' holds NaN or infinite values", e.Message);
    }

    [Fact]
    public void Missing_scale_for_a_pt_adapter_file_is_an_input_error()
    {
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(Fixtures.File("backbone.safetensors"),
            Fixtures.File("convpass.pt"), Heads: 3)));
        Assert.Contains("--petl-scale", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_width_without_heads_is_an_input_error()
    {
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(Fixtures.File("backbone.safetensors"))));
        Assert.Contains("--heads", e.Message, StringComparison.Ordinal);
    }
}
