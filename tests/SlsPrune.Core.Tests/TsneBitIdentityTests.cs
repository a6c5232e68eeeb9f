using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>The CPU t-SNE's fast paths against the plain code they stand in for, bit for bit: the attraction and the error 8 rows
/// at a time against the row-by-row loops, and the descent step on arrays against the torch ops.</summary>
public class TsneBitIdentityTests
{
    private static BatchedP P(torch.Tensor feats, double perplexity)
    {
        int layers = (int)feats.shape[0], n = (int)feats.shape[1];
        int k = new TsneOptions { Perplexity = perplexity }.NeighboursFor(n);
        return new BatchedP(layers, n, Enumerable.Range(0, layers).Select(l => JointProbabilities.Compute(feats[l], perplexity, k)).ToArray());
    }

    private static int[] Bits(float[] v) => v.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static long[] Bits(double[] v) => v.Select(BitConverter.DoubleToInt64Bits).ToArray();

    [Theory]
    [InlineData("dip", 240, 30.0)]
    [InlineData("imbalanced", 237, 30.0)]   // n not a multiple of 8: the last lane group is partial
    [InlineData("overlap", 13, 3.0)]
    public void Lane_group_attraction_and_error_equal_the_row_by_row_loops(string set, int n, double perplexity)
    {
        var batched = P(SlsFixtures.Tensor($"{set}.feats")[..3, ..n], perplexity);
        using var y = torch.randn(3, n, 2, generator: new torch.Generator(5)) * 3;
        float[] exag = [12f, 1f, 12f];
        using var lanes = new CpuTsneGradient(batched, laneGroups: true, rowPairs: false);
        using var scalar = new CpuTsneGradient(batched, laneGroups: false, rowPairs: false);
        var (g1, e1) = lanes.Compute(y, exag, true);
        var (g2, e2) = scalar.Compute(y, exag, true);
        Assert.Equal(Bits(g2.data<float>().ToArray()), Bits(g1.data<float>().ToArray()));
        Assert.Equal(Bits(e2!), Bits(e1!));
    }

    [SkippableTheory]
    [InlineData("dip", 240, 30.0)]
    [InlineData("imbalanced", 237, 30.0)]   // n odd: a layer's last row has no partner; n not a multiple of 8: the scalar tail
    [InlineData("overlap", 13, 3.0)]
    public void Row_pair_repulsion_equals_the_row_by_row_loop(string set, int n, double perplexity)
    {
        var batched = P(SlsFixtures.Tensor($"{set}.feats")[..3, ..n], perplexity);
        using var y = torch.randn(3, n, 2, generator: new torch.Generator(7)) * 4;
        float[] exag = [12f, 1f, 1f];
        using var pairs = new CpuTsneGradient(batched, laneGroups: true, rowPairs: true);
        using var single = new CpuTsneGradient(batched, laneGroups: true, rowPairs: false);
        Skip.IfNot(pairs.UsesRowPairs, "512-bit vectors are not accelerated here: the repulsion runs one row at a time");
        Assert.False(single.UsesRowPairs);
        var (g1, e1) = pairs.Compute(y, exag, true);
        var (g2, e2) = single.Compute(y, exag, true);
        Assert.Equal(Bits(g2.data<float>().ToArray()), Bits(g1.data<float>().ToArray()));
        Assert.Equal(Bits(e2!), Bits(e1!));
    }

    /// <summary>Short descents that stop layers at different iterations (so stopped layers stay put while others
    /// move): the same embeddings, errors and iterations from both states.</summary>
    [Theory]
    [InlineData("dip")]
    [InlineData("imbalanced")]
    public void Array_descent_equals_the_torch_ops_descent(string set)
    {
        var feats = SlsFixtures.Tensor($"{set}.feats")[..4];
        int layers = 4, n = (int)feats.shape[1];
        var o = new TsneOptions { MaxIter = 400, ExplorationIter = 100, IterWithoutProgress = 50, MinGradNorm = 1e-3 };
        using var gradient = new CpuTsneGradient(P(feats, o.Perplexity));
        using var init = InitialEmbedding.Create(feats, "pca", 0);
        IReadOnlyList<TsneResult> onArrays, onTensors;
        using (var state = new ArrayDescentState(init, gradient, layers, n, o)) onArrays = TsneEmbedder.Optimise(state, layers, o, null);
        using (var state = new TensorDescentState(init, gradient, layers, o.LearningRateFor(n), o.MinGain)) onTensors = TsneEmbedder.Optimise(state,
            layers, o, null);
        for (int l = 0; l < layers; l++)
        {
            Assert.Equal(Bits(onTensors[l].Embedding.data<float>().ToArray()), Bits(onArrays[l].Embedding.data<float>().ToArray()));
            Assert.Equal(BitConverter.DoubleToInt64Bits(onTensors[l].KlDivergence), BitConverter.DoubleToInt64Bits(onArrays[l].KlDivergence));
            Assert.Equal(onTensors[l].Iterations, onArrays[l].Iterations);
        }
        Assert.True(onArrays.Select(r => r.Iterations).Distinct().Count() > 1, "want layers stopping at different iterations: " + string.Join(" ",
            onArrays.Select(r => r.Iterations)));
    }

    [Theory]
    [InlineData("separating", "pca")]
    [InlineData("imbalanced", "random")]
    public void A_layer_fitted_alone_equals_the_layer_fitted_with_the_others(string set, string init)
    {
        // --scoring needed fits one layer at a time; its draws (TsneOptions.FirstLayer) and everything else per layer
        // must be those of the batch, so the scores it reads are the ones scoring every layer gives.
        var feats = SlsFixtures.Tensor($"{set}.feats")[..4];
        var o = new TsneOptions { MaxIter = 300, ExplorationIter = 100, Init = init, Seed = 3 };
        var together = TsneEmbedder.Fit(feats, o);
        for (int l = 0; l < 4; l++)
        {
            using var one = feats[l..(l + 1)];
            var alone = TsneEmbedder.Fit(one, o with { FirstLayer = l })[0];
            Assert.Equal(Bits(together[l].Embedding.data<float>().ToArray()), Bits(alone.Embedding.data<float>().ToArray()));
            Assert.Equal(BitConverter.DoubleToInt64Bits(together[l].KlDivergence), BitConverter.DoubleToInt64Bits(alone.KlDivergence));
            Assert.Equal(together[l].Iterations, alone.Iterations);
            if (l > 0)
            {
                // and the offset matters: without it the layer would start from layer 0's draws
                var wrong = TsneEmbedder.Fit(one, o)[0];
                Assert.NotEqual(Bits(together[l].Embedding.data<float>().ToArray()), Bits(wrong.Embedding.data<float>().ToArray()));
            }
        }
    }

    [Fact]
    public void Scoring_from_the_top_reports_the_lowest_layer_it_scored_and_the_scores_of_scoring_every_layer()
    {
        var feats = SlsFixtures.Tensor("separating.feats")[..4];
        var labels = SlsFixtures.Tensor("separating.labels").data<long>().ToArray();
        var o = new TsneOptions { MaxIter = 300, ExplorationIter = 100 };
        using var every = Fem.FeatureEvaluation.Score(feats, labels, Fem.ClusterMetrics.Default, o, torch.CPU);
        var (top, lowestTop) = Fem.FeatureEvaluation.ScoreFromTop(feats, labels, Fem.ClusterMetrics.Default, o, torch.CPU, (_, _) => false);
        Assert.Equal(4, lowestTop);
        Assert.Equal(BitConverter.DoubleToInt64Bits(every.Scores[3]), BitConverter.DoubleToInt64Bits(top[3]));
        Assert.All(top[..3], s => Assert.True(double.IsNaN(s)));
        var (all, lowestAll) = Fem.FeatureEvaluation.ScoreFromTop(feats, labels, Fem.ClusterMetrics.Default, o, torch.CPU, (_, _) => true);
        Assert.Equal(1, lowestAll);
        Assert.Equal(Bits(every.Scores), Bits(all));
    }
}
