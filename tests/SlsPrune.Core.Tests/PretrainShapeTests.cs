using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Swin;
using SlsPrune.Core.Models.Vit;

namespace SlsPrune.Core.Tests;

/// <summary>Each family's own <c>sls pretrain</c> settings: declared once by the family, read back by option, the
/// defaults the command line has always had.</summary>
public class PretrainShapeTests
{
    private static readonly PretrainShape Common = new(32, 8, 192);

    [Fact]
    public void The_families_declare_distinct_options()
    {
        var options = BackboneFamilies.All.SelectMany(f => f.PretrainSettings.Select(s => s.Option)).ToList();
        Assert.Equal(["--depth", "--heads", "--mlp", "--depths", "--stage-heads", "--window", "--mlp-ratio"], options);
        Assert.Equal(options.Count, options.Distinct().Count());
        Assert.NotNull(BackboneFamilies.Named(BackboneFamilies.Default));
    }

    [Fact]
    public void Defaults_give_the_shapes_sls_pretrain_always_trained()
    {
        var vit = Assert.IsType<VitConfig>(BackboneFamilies.Named("vit")!.Untrained(Common, ShapeValues.Defaults, 10));
        Assert.Equal((8, 4, 192, 8, 3, 384, 10), (vit.PatchSize, vit.GridSize, vit.Width, vit.Depth, vit.Heads, vit.MlpHidden, vit.NumClasses));
        var swin = Assert.IsType<SwinConfig>(BackboneFamilies.Named("swin")!.Untrained(new PretrainShape(32, 2, 32), ShapeValues.Defaults, 10));
        Assert.Equal([2, 2, 2], swin.Depths);
        Assert.Equal([2, 4, 8], swin.Heads);
        Assert.Equal([4, 4, 4], swin.Windows);
        Assert.Equal((4, 32, 10), (swin.MlpRatio, swin.EmbedWidth, swin.NumClasses));
    }

    [Fact]
    public void A_family_reads_its_own_values_and_not_another_s()
    {
        var given = ShapeValues.Defaults.With("--depth", 2).With("--heads", 4).With("--mlp", 64).With("--depths", 1, 3).With("--window", 2);
        var vit = Assert.IsType<VitConfig>(BackboneFamilies.Named("vit")!.Untrained(Common, given, 2));
        Assert.Equal((2, 4, 64), (vit.Depth, vit.Heads, vit.MlpHidden));
        var swin = Assert.IsType<SwinConfig>(BackboneFamilies.Named("swin")!.Untrained(new PretrainShape(16, 2, 8), given, 2));
        Assert.Equal([1, 3], swin.Depths);
        Assert.Equal(4, swin.Depth);
        Assert.Equal([2, 2], swin.Windows);
        Assert.Equal([1, 2, 3], ShapeValues.ParseList(" 1,2 ,3", "--depths"));
        var e = Assert.Throws<SlsInputException>(() => ShapeValues.ParseList("2,0", "--depths"));
        Assert.Equal("--depths: '2,0' is not a comma-separated list of positive integers", e.Message);
        e = Assert.Throws<SlsInputException>(() => BackboneFamilies.Named("swin")!.Untrained(new PretrainShape(16, 2, 8), given.With("--stage-heads",
            1), 2));
        Assert.Equal("--stage-heads: 1 values for 2 stages (--depths)", e.Message);
    }
}
