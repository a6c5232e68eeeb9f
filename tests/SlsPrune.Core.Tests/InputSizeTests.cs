using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Swin;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>Where a Swin's input size comes from: a file <c>sls pretrain</c> wrote records it (<c>image_size</c>
/// metadata) and is built at it without an option; <c>--image-size</c> wins; a file that does not record it assumes
/// the variant's or 224, and says so.</summary>
public class InputSizeTests
{
    private static string Pretrained(Dictionary<string, string> metadata)
    {
        var config = new SwinConfig(2, 16, 8, [1, 2], [1, 2], [4, 4], 2, 3);
        using var model = ModelFactory.Untrained(new SwinFamily(), config);
        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu(), StringComparer.Ordinal);
        string path = Path.Combine(Directory.CreateTempSubdirectory("sls-size-").FullName, "swin.safetensors");
        SafetensorsWriter.Write(path, weights, metadata);
        return path;
    }

    [Fact]
    public void A_swin_sls_pretrain_wrote_is_built_at_its_recorded_size()
    {
        string path = Pretrained(new() { ["format"] = "slsprune-backbone/1", ["family"] = "swin", ["image_size"] = "16" });
        using (var built = ModelFactory.Build(new ModelOptions(path, Device: "cpu")))
        {
            Assert.Equal(16, built.Model.Input.ImageSize);
            Assert.Equal(new InputSizeOrigin(16, "checkpoint", "the file's sls pretrain metadata"), built.InputOrigin);
        }
        using (var given = ModelFactory.Build(new ModelOptions(path, Device: "cpu", ImageSize: 24)))
            Assert.Equal(new InputSizeOrigin(24, "option", "--image-size"), given.InputOrigin);

        string bad = Pretrained(new() { ["format"] = "slsprune-backbone/1", ["image_size"] = "sixteen" });
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(bad, Device: "cpu")));
        Assert.Equal($"{bad}: metadata image_size 'sixteen' is not a size in pixels (1 to 65536)", e.Message);
    }

    [Fact]
    public void A_swin_without_a_recorded_size_assumes_one_and_says_why()
    {
        string path = Pretrained(new() { ["format"] = "something-else/1" });
        using var built = ModelFactory.Build(new ModelOptions(path, Device: "cpu"));
        var origin = built.InputOrigin!;
        Assert.Equal((224, "assumed"), (origin.ImageSize, origin.From));
        Assert.Equal($"{path}: the input size is not recorded in a timm checkpoint; assuming 224 px (the default, as no Swin variant has this "
            + $"shape); give --image-size to set it",
            origin.Warning(path));
    }
}
