using System.Globalization;
using SlsPrune.Core.Fem.Tsne;
using TorchSharp;

namespace SlsPrune.Core.Fem;

/// <summary>The t-SNE settings used (scikit-learn's names), as the index records them.</summary>
public sealed record TsneSettings(int Components, double Perplexity, double EarlyExaggeration, string LearningRate, int MaxIter, string Init,
    string Method);

/// <summary>What the FEM gives: a score per layer, the min-max scaled embedding of each layer (for plots), and the
/// t-SNE settings.</summary>
public sealed record FemResult(double[] Scores, IReadOnlyList<torch.Tensor> Embeddings, TsneSettings Settings) : IDisposable
{
    public void Dispose()
    {
        foreach (var e in Embeddings) e.Dispose();
    }
}

/// <summary>
/// The feature evaluation module of SLS: t-SNE of every layer's features (all layers batched), each embedding
/// min-max scaled per axis, then a cluster metric of the labels on it.
/// </summary>
public static class FeatureEvaluation
{
    /// <param name="features">[layers, n, width] features.</param>
    /// <param name="iterations">t-SNE iterations done so far.</param>
    /// <param name="layerScored">(layer 1-based, score) as each layer is scored.</param>
    /// <exception cref="ArgumentException">for t-SNE settings the data cannot take (perplexity too large).</exception>
    public static FemResult Score(torch.Tensor features, long[] labels, IClusterMetric metric, TsneOptions tsne, torch.Device device,
        IProgress<int>? iterations = null, IProgress<(int Layer, double Score)>? layerScored = null)
    {
        IReadOnlyList<TsneResult> results;
        using (var onDevice = features.to(device))
            results = TsneEmbedder.Fit(onDevice, tsne, iterations);
        int layers = (int)features.shape[0];
        var scores = new double[layers];
        var embeddings = new List<torch.Tensor>();
        for (int l = 0; l < layers; l++)
        {
            var y = results[l].Embedding;
            var scaled = MinMaxScale(y);
            y.Dispose();
            scores[l] = metric.Score(scaled, labels);
            embeddings.Add(scaled);
            layerScored?.Report((l + 1, scores[l]));
        }
        return new FemResult(scores, embeddings, Settings(tsne));
    }

    /// <summary>The t-SNE settings an index records.</summary>
    public static TsneSettings Settings(TsneOptions tsne) =>
        new(2, tsne.Perplexity, tsne.EarlyExaggeration, tsne.LearningRate?.ToString(CultureInfo.InvariantCulture) ?? "auto",
            tsne.MaxIter, tsne.Init, "exact gradient, neighbour-based P (as sklearn barnes_hut)");

    /// <summary>
    /// The FEM one layer at a time from the top down, as the SLS reference loop scores, while
    /// <paramref name="needsLayerBelow"/>(scores, lowest scored layer, 1-based) says the decision needs the next one.
    /// Each layer is fitted alone with its own random draws (<see cref="TsneOptions.FirstLayer"/>), so its score is the
    /// one <see cref="Score"/> gives it with every layer, bit for bit.
    /// </summary>
    /// <param name="iterations">reports each fit's iteration (every 50).</param>
    /// <returns>each layer's score (NaN for the layers below <c>Lowest</c>, not scored) and the lowest layer scored
    /// (1-based).</returns>
    public static (double[] Scores, int Lowest) ScoreFromTop(torch.Tensor features, long[] labels, IClusterMetric metric, TsneOptions tsne,
        torch.Device device,
        Func<IReadOnlyList<double>, int, bool> needsLayerBelow, IProgress<int>? iterations = null, IProgress<(int Layer, double Score)>? layerScored =
            null)
    {
        int layers = (int)features.shape[0];
        var scores = Enumerable.Repeat(double.NaN, layers).ToArray();
        using var onDevice = features.to(device);
        for (int l = layers - 1; ; l--)
        {
            using var one = onDevice[l..(l + 1)];
            var result = TsneEmbedder.Fit(one, tsne with { FirstLayer = tsne.FirstLayer + l }, iterations)[0];
            using (var y = result.Embedding)
            using (var scaled = MinMaxScale(y))
                scores[l] = metric.Score(scaled, labels);
            layerScored?.Report((l + 1, scores[l]));
            if (l == 0 || !needsLayerBelow(scores, l + 1)) return (scores, l + 1);
        }
    }

    /// <summary>sklearn's MinMaxScaler: each axis to [0, 1] (a constant axis maps to 0).</summary>
    public static torch.Tensor MinMaxScale(torch.Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        var min = y.amin([0], keepdim: true);
        var range = y.amax([0], keepdim: true) - min;
        range = torch.where(range.eq(0), torch.ones_like(range), range);
        return ((y - min) / range).MoveToOuterDisposeScope();
    }
}
