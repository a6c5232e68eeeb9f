namespace SlsPrune.Core.Fem.Tsne;

/// <summary>scikit-learn 1.2+ <c>TSNE</c> defaults (<c>n_components=2, init='pca', learning_rate='auto'</c>).</summary>
public sealed record TsneOptions
{
    public double Perplexity { get; init; } = 30.0;

    public double EarlyExaggeration { get; init; } = 12.0;

    /// <summary>Null is 'auto': max(n / early_exaggeration / 4, 50).</summary>
    public double? LearningRate { get; init; }

    public int MaxIter { get; init; } = 1000;

    public int ExplorationIter { get; init; } = 250;

    public int IterWithoutProgress { get; init; } = 300;

    public double MinGradNorm { get; init; } = 1e-7;

    public double MinGain { get; init; } = 0.01;

    /// <summary>Errors are computed (and convergence checked) every this many iterations.</summary>
    public int CheckEvery { get; init; } = 50;

    /// <summary>"pca" (sklearn's default) or "random" (seeded Gaussian, std 1e-4).</summary>
    public string Init { get; init; } = "pca";

    public int Seed { get; init; }

    /// <summary>The index of the first of the fitted layers in the whole stack. A layer's random draws (the PCA's test
    /// matrix, or the random initialisation) are those of its index, so a layer fitted alone gets the embedding it gets
    /// when fitted with the layers below it.</summary>
    public int FirstLayer { get; init; }

    public double LearningRateFor(int n) => LearningRate ?? Math.Max(n / EarlyExaggeration / 4.0, 50.0);

    /// <summary>Neighbours per point in P: min(n - 1, 3 * perplexity + 1), as sklearn's Barnes-Hut.</summary>
    public int NeighboursFor(int n) => Math.Min(n - 1, (int)(3.0 * Perplexity + 1));
}
