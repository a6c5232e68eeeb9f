using SlsPrune.Core.Checkpoints;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>The family registry: which family builds a checkpoint, what an unknown one is told, and that a
/// width-pruned checkpoint (narrower blocks stored as such) reloads to the model it was saved from.</summary>
public class BackboneFamilyTests
{
    [Fact]
    public void The_vit_family_recognises_the_shipped_backbone_and_an_unknown_layout_is_named_with_its_first_tensors()
    {
        using var file = StateDictFile.Open(Fixtures.File("backbone.safetensors"));
        Assert.Equal("vit", BackboneFamilies.For(file.Shapes, "b.safetensors").Name);

        var shapes = new Dictionary<string, long[]> { ["encoder.w"] = [2, 2], ["a\u001b.b"] = [3] };
        Assert.Null(BackboneFamilies.Find(shapes));
        var e = Assert.Throws<SlsInputException>(() => BackboneFamilies.For(shapes, "odd.safetensors"));
        Assert.Equal("odd.safetensors: not a backbone of a known family (vit, swin); its first tensors are 'a\\x1b.b', 'encoder.w'", e.Message);
    }

    [Fact]
    public void A_width_pruned_checkpoint_reloads_to_the_model_it_was_saved_from()
    {
        var options = new ModelOptions(Fixtures.File("backbone.safetensors"), Heads: 3, Device: "cpu");
        // block 2 keeps heads 1 and 3 and every other MLP unit; blocks 1 and 3 stay whole
        using var full = ModelFactory.Build(options);
        int units = (int)full.Model.state_dict()["blocks.1.mlp.fc1.weight"].shape[0];
        var widths = new Dictionary<int, BlockWidth> { [1] = new([0, 2], Enumerable.Range(0, units).Where(u => u % 2 == 0).ToArray()) };
        using var pruned = ModelFactory.Build(options, plan: new ModelPlan(3, [0, 1, 2], widths));

        string dir = Directory.CreateTempSubdirectory("sls-width-").FullName;
        string saved = Path.Combine(dir, "narrow.safetensors");
        SafetensorsWriter.Write(saved, pruned.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value));
        using var reloaded = ModelFactory.Build(options with { Backbone = saved });

        var stored = reloaded.Plan.WidthAt(1)!;
        Assert.Equal([0, 1], stored.Heads);
        Assert.Equal((units + 1) / 2, stored.MlpUnits.Count);
        Assert.Null(reloaded.Plan.WidthAt(0));
        Assert.Equal(reloaded.Model.state_dict()["blocks.1.attn.qkv.weight"].shape, pruned.Model.state_dict()["blocks.1.attn.qkv.weight"].shape);

        torch.manual_seed(3);
        using var images = torch.randn(4, 3, reloaded.Model.Input.ImageSize, reloaded.Model.Input.ImageSize);
        using var a = pruned.Model.forward(images);
        using var b = reloaded.Model.forward(images);
        using var c = full.Model.forward(images);
        Assert.Equal(0.0, (a - b).abs().max().item<float>());
        Assert.True((a - c).abs().max().item<float>() > 1e-4, "the narrow block must change the logits");
    }
}
