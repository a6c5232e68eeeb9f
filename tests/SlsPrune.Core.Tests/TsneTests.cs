using SlsPrune.Core.Fem.Tsne;
using TorchSharp;
using Xunit.Abstractions;

namespace SlsPrune.Core.Tests;

[Collection(TsneFitGroup.Name)]
public class TsneTests(ITestOutputHelper output, TsneFitFixture fits)
{
    private static torch.Tensor Dense(SparseP p)
    {
        var d = new float[p.N * p.N];
        for (int e = 0; e < p.Values.Length; e++) d[p.Rows[e] * p.N + p.Cols[e]] = p.Values[e];
        return torch.tensor(d, [p.N, p.N]);
    }

    [Theory]
    [InlineData(30.0, "small.P")]
    [InlineData(5.0, "small.P_perplexity5")]
    public void Joint_probabilities_equal_sklearn(double perplexity, string key)
    {
        var x = SlsFixtures.Tensor("small.X");
        var o = new TsneOptions { Perplexity = perplexity };
        var p = JointProbabilities.Compute(x, perplexity, o.NeighboursFor((int)x.shape[0]));
        var expected = SlsFixtures.Tensor(key);
        var mine = Dense(p);
        Assert.Equal(expected.count_nonzero().item<long>(), (long)p.Values.Length);
        Assert.InRange(Fixtures.RelativeError(mine, expected), 0, 1e-5);
        Assert.Equal(1.0, p.Values.Sum(v => (double)v), 5);
    }

    [Fact]
    public void Pca_initialisation_matches_sklearn()
    {
        var x = SlsFixtures.Tensor("small.X").unsqueeze(0);
        using var init = InitialEmbedding.Create(x, "pca", 0);
        var expected = SlsFixtures.Tensor("small.init");
        Assert.InRange(Fixtures.RelativeError(init[0], expected), 0, 1e-3);
        Assert.Equal(1e-4, init[0][.., 0].std(unbiased: false).item<float>(), 8);
    }

    [Fact]
    public void Cpu_kernel_and_torch_ops_give_the_same_gradient_and_error()
    {
        var feats = SlsFixtures.Tensor("dip.feats")[..3];
        int n = (int)feats.shape[1];
        var o = new TsneOptions();
        var ps = Enumerable.Range(0, 3).Select(l => JointProbabilities.Compute(feats[l], 30, o.NeighboursFor(n))).ToArray();
        var batched = new BatchedP(3, n, ps);
        using var y = torch.randn(3, n, 2, generator: new torch.Generator(5)) * 3;
        using var torchGrad = new TorchTsneGradient(batched, torch.CPU);
        float[] exag = [12f, 1f, 12f];
        using var cpu = new CpuTsneGradient(batched);
        var (g1, e1) = cpu.Compute(y, exag, true);
        var (g2, e2) = torchGrad.Compute(y, exag, true);
        Assert.InRange(Fixtures.RelativeError(g1, g2), 0, 1e-5);
        for (int l = 0; l < 3; l++) Assert.Equal(e2![l], e1![l], 1e-5 * Math.Abs(e2[l]));
    }

    /// <summary>
    /// KL within 2% and SC within 0.03 of sklearn, widened on each layer by 1.5x sklearn's own spread there (how
    /// far sklearn moves given a float64 copy of the input or angle 0.45 / 0.55, measured by the fixture script): on
    /// structureless or imbalanced layers t-SNE lands in different local optima under any change of rounding,
    /// sklearn's included (up to 4.5% in KL and 0.19 in SC on these fixtures).
    /// </summary>
    [Theory]
    [InlineData("separating")]
    [InlineData("dip")]
    [InlineData("overlap")]
    [InlineData("imbalanced")]
    public void Quality_matches_sklearn_within_tolerance_plus_sklearns_own_spread(string set)
    {
        var (kl, sc) = fits[set];
        for (int l = 0; l < kl.Length; l++)
        {
            var e = SlsFixtures.Layer(set, l);
            double klRef = e.GetProperty("tsne_kl_exact").GetDouble(), scRef = e.GetProperty("sc_index").GetDouble();
            double klSpread = e.GetProperty("sklearn_spread_kl").GetDouble(), scSpread = e.GetProperty("sklearn_spread_sc").GetDouble();
            output.WriteLine($"{set} layer {l + 1}: KL {kl[l]:F4} vs {klRef:F4} ({(kl[l] / klRef - 1) * 100:+0.00;-0.00}%, sklearn spread "
                + $"{klSpread * 100:F2}%), SC {sc[l]:F4} vs {scRef:F4} (spread {scSpread:F3})");
            // 1.5x: the spread is the largest of only three perturbed sklearn runs, so it underestimates.
            Assert.InRange(Math.Abs(kl[l] / klRef - 1), 0, 0.02 + 1.5 * klSpread);
            Assert.InRange(Math.Abs(sc[l] - scRef), 0, 0.03 + 1.5 * scSpread);
        }
    }

    [Fact]
    public void No_bias_against_sklearn_across_all_layers()
    {
        var klDiff = new List<double>();
        var scDiff = new List<double>();
        foreach (var set in SlsFixtures.Sets)
        {
            var (kl, sc) = fits[set];
            for (int l = 0; l < kl.Length; l++)
            {
                klDiff.Add(kl[l] / SlsFixtures.Layer(set, l).GetProperty("tsne_kl_exact").GetDouble() - 1);
                scDiff.Add(sc[l] - SlsFixtures.Layer(set, l).GetProperty("sc_index").GetDouble());
            }
        }
        output.WriteLine($"mean KL difference {klDiff.Average() * 100:+0.00;-0.00}%, mean |KL difference| {klDiff.Average(Math.Abs) * 100:F2}%, "
            + $"mean |SC difference| {scDiff.Average(Math.Abs):F4}, median |SC difference| "
                + $"{scDiff.Select(Math.Abs).Order().ElementAt(scDiff.Count / 2):F4}");
        Assert.InRange(klDiff.Average(), -0.01, 0.01);
        Assert.InRange(klDiff.Average(Math.Abs), 0, 0.02);
        Assert.InRange(scDiff.Select(Math.Abs).Order().ElementAt(scDiff.Count / 2), 0, 0.03);
    }

    [Fact]
    public void Same_input_gives_identical_embeddings()
    {
        var feats = SlsFixtures.Tensor("separating.feats")[5..7];
        var a = TsneEmbedder.Fit(feats, new TsneOptions { MaxIter = 300 });
        var b = TsneEmbedder.Fit(feats, new TsneOptions { MaxIter = 300 });
        for (int l = 0; l < 2; l++) Assert.True(Fixtures.Same(a[l].Embedding, b[l].Embedding));
    }

    [Fact]
    public void Perplexity_not_below_n_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => TsneEmbedder.Fit(torch.randn(1, 20, 4), new TsneOptions()));
        Assert.Contains("perplexity (30) must be less than the number of samples (20)", e.Message, StringComparison.Ordinal);
    }

    internal static torch.Tensor MinMax(torch.Tensor y)
    {
        var min = y.amin([0], keepdim: true);
        var max = y.amax([0], keepdim: true);
        return (y - min) / (max - min);
    }
}
