using SlsPrune.Core.Pruning.Sls;

namespace SlsPrune.Core.Tests;

/// <summary><c>--scoring auto</c>, the default: the layers the alpha rule reads, unless an output reads every layer.</summary>
public class SlsScoringTests
{
    [Fact]
    public void The_default_is_auto_and_scores_as_needed_when_no_output_reads_every_layer()
    {
        var o = new SlsOptions();
        Assert.Equal(SlsScoring.Auto, o.Scoring);
        Assert.Null(o.EveryLayerReader());
        Assert.Equal(SlsScoring.Needed, o.ResolvedScoring());
        // one alpha given as a list, a features file and another metric read no further layer
        Assert.Equal(SlsScoring.Needed, (o with
        {
            Alphas = [0.5],
            FeaturesOut = "f.safetensors",
            Metric = Fem.ClusterMetrics.All[^1]
        }).ResolvedScoring());
    }

    public static TheoryData<string, SlsOptions> EveryLayer => new()
    {
        { "--plots", new SlsOptions { Plots = "plots" } },
        { "several alphas", new SlsOptions { Alphas = [0.3, 0.5] } },
        { "--tsne-seeds above 1", new SlsOptions { TsneSeeds = 2 } },
        { "--policy accuracy", new SlsOptions { Policy = SlsDecisionPolicy.Accuracy } },
    };

    [Theory]
    [MemberData(nameof(EveryLayer))]
    public void Auto_scores_every_layer_when_an_output_reads_them_and_explicit_choices_stand(string reader, SlsOptions o)
    {
        Assert.Equal(reader, o.EveryLayerReader());
        Assert.Equal(SlsScoring.All, o.ResolvedScoring());
        Assert.Equal(SlsScoring.Needed, (o with { Scoring = SlsScoring.Needed }).ResolvedScoring()); // refused in Validate
        Assert.Equal(SlsScoring.All, (o with { Scoring = SlsScoring.All }).ResolvedScoring());
        Assert.Equal(SlsScoring.All, (new SlsOptions { Scoring = SlsScoring.All }).ResolvedScoring());
    }
}
