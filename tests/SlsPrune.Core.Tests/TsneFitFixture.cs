using SlsPrune.Core.Evaluation;
using SlsPrune.Core.Fem.Tsne;

namespace SlsPrune.Core.Tests;

/// <summary>Our t-SNE (default options) fitted once per feature set of <see cref="SlsFixtures"/>, shared by
/// <see cref="TsneTests"/> and <see cref="SlsPolicyTests"/>: the fit is the slowest part of both. Per set and layer:
/// the final KL divergence, and the silhouette of the min-max scaled embedding (SC_Index). Lazy, so tests of the
/// collection that do not read it do not pay for it.</summary>
public sealed class TsneFitFixture
{
    private readonly Lazy<Dictionary<string, (double[] Kl, double[] Sc)>> fits = new(() => SlsFixtures.Sets.ToDictionary(set => set, set =>
        {
            var labels = SlsFixtures.Labels(set);
            var results = TsneEmbedder.Fit(SlsFixtures.Tensor($"{set}.feats"), new TsneOptions());
            return (results.Select(r => r.KlDivergence).ToArray(),
                results.Select(r => ClusterMetrics.Silhouette(TsneTests.MinMax(r.Embedding), labels)).ToArray());
        }));

    public (double[] Kl, double[] Sc) this[string set] => fits.Value[set];
}

/// <summary>The test classes that read <see cref="TsneFitFixture"/> (xunit shares a fixture only within a collection).</summary>
[CollectionDefinition(Name)]
public sealed class TsneFitGroup : ICollectionFixture<TsneFitFixture>
{
    public const string Name = "t-SNE fit on the sklearn fixtures";
}
