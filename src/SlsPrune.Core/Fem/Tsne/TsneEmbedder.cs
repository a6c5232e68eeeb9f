using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Fem.Tsne;

/// <summary>One layer's embedding: [n, 2] float32 on the CPU, the final KL divergence (exact, non-exaggerated
/// P) and the iteration sklearn would report as <c>n_iter_</c>.</summary>
public sealed record TsneResult(Tensor Embedding, double KlDivergence, int Iterations);

/// <summary>
/// scikit-learn 1.2+'s t-SNE (<c>TSNE(n_components=2, init='pca', random_state=...)</c>) for a batch of layers
/// at once: P from <see cref="JointProbabilities"/>, initialisation from <see cref="InitialEmbedding"/>, then
/// sklearn's <c>_gradient_descent</c> twice per layer: 250 iterations with P exaggerated (momentum 0.5), then
/// up to 1000 in all with momentum 0.8; gains (+0.2 / x0.8, at least 0.01) and updates reset between the two;
/// the error checked every 50 iterations, stopping a layer after 300 (250 while exploring) iterations without
/// progress or when its gradient norm falls to 1e-7. The gradient is exact (see <see cref="ITsneGradient"/>)
/// where sklearn approximates the repulsion (Barnes-Hut, angle 0.5).
/// </summary>
public static class TsneEmbedder
{
    /// <param name="features">[layers, n, d] (any device; the optimisation runs there).</param>
    /// <param name="progress">reports the iteration reached (every 50).</param>
    /// <exception cref="ArgumentException">when perplexity is not below n (sklearn's own check).</exception>
    public static IReadOnlyList<TsneResult> Fit(Tensor features, TsneOptions o, IProgress<int>? progress = null)
    {
        int layers = (int)features.shape[0], n = (int)features.shape[1];
        if (o.Perplexity >= n) throw new ArgumentException($"perplexity ({o.Perplexity}) must be less than the number of samples ({n})");
        if (o.ExplorationIter < 0 || o.MaxIter < 0) throw new ArgumentException("t-SNE iteration counts must not be negative");
        int k = o.NeighboursFor(n);
        var perLayer = JointProbabilities.ComputeLayers(features, o.Perplexity, k);
        var batched = new BatchedP(layers, n, perLayer);
        ITsneGradient gradient = features.device.type == DeviceType.CPU ? new CpuTsneGradient(batched) : new TorchTsneGradient(batched,
            features.device);
        try
        {
            using var init = InitialEmbedding.Create(features, o.Init, o.Seed, o.FirstLayer);
            return Optimise(init, gradient, layers, n, o, progress);
        }
        finally
        {
            (gradient as IDisposable)?.Dispose();
        }
    }

    internal static IReadOnlyList<TsneResult> Optimise(Tensor init, ITsneGradient gradient, int layers, int n, TsneOptions o,
        IProgress<int>? progress)
    {
        using IDescentState state = gradient is CpuTsneGradient cpu
            ? new ArrayDescentState(init, cpu, layers, n, o)
            : new TensorDescentState(init, gradient, layers, o.LearningRateFor(n), o.MinGain);
        return Optimise(state, layers, o, progress);
    }

    internal static IReadOnlyList<TsneResult> Optimise(IDescentState state, int layers, TsneOptions o, IProgress<int>? progress)
    {
        // Per-layer state of sklearn's two _gradient_descent calls.
        var phase = new int[layers];               // 1 exploring (exaggerated), 2 final, 3 stopped
        var bestError = Enumerable.Repeat(double.MaxValue, layers).ToArray();
        var bestIter = new int[layers];
        var lastIter = new int[layers];
        var withoutProgress = Enumerable.Repeat(o.ExplorationIter, layers).ToArray();
        Array.Fill(phase, 1);

        for (int i = 0; i < o.MaxIter && phase.Any(p => p != 3); i++)
        {
            // Layers whose exploration ended (normally at ExplorationIter, or by a convergence break) start
            // the final descent: P no longer exaggerated, momentum 0.8, fresh update and gains.
            for (int l = 0; l < layers; l++)
            {
                if (phase[l] == 1 && i == o.ExplorationIter) StartFinal(l, i);
            }
            bool check = (i + 1) % o.CheckEvery == 0;
            var exag = phase.Select(p => p == 1 ? (float)o.EarlyExaggeration : 1f).ToArray();
            var momentum = phase.Select(p => p == 1 ? 0.5f : 0.8f).ToArray();
            var active = phase.Select(p => p == 3 ? 0f : 1f).ToArray();
            // While exploring, the error is never read: i - bestIter cannot pass withoutProgress (= ExplorationIter)
            // before exploration ends, and the final descent starts its own record. So it is computed only when some
            // layer is in its final descent.
            var (error, norms) = state.Step(exag, momentum, active, check, computeError: check && phase.Any(p => p == 2));

            if (check)
            {
                for (int l = 0; l < layers; l++)
                {
                    if (phase[l] == 3) continue;
                    lastIter[l] = i;
                    bool stop = false;
                    if (phase[l] == 2)
                    {
                        double err = error![l];
                        if (err < bestError[l]) { bestError[l] = err; bestIter[l] = i; }
                        else if (i - bestIter[l] > withoutProgress[l]) stop = true;
                    }
                    if (norms![l] <= o.MinGradNorm) stop = true;
                    if (stop) phase[l] = phase[l] == 1 ? -1 : 3; // -1: exploration broke; final starts next iteration
                }
                progress?.Report(i + 1);
            }
            else
            {
                for (int l = 0; l < layers; l++) if (phase[l] != 3) lastIter[l] = i;
            }
            for (int l = 0; l < layers; l++)
                if (phase[l] == -1) StartFinal(l, i + 1);
        }

        // Final KL with the plain P, at the final embedding.
        var finalError = state.FinalError();
        var embeddings = state.Embeddings();
        var results = new TsneResult[layers];
        for (int l = 0; l < layers; l++)
            results[l] = new TsneResult(embeddings[l], finalError[l], lastIter[l]);
        return results;

        void StartFinal(int l, int it)
        {
            phase[l] = 2;
            bestError[l] = double.MaxValue;
            bestIter[l] = it;
            withoutProgress[l] = o.IterWithoutProgress;
            state.Reset(l);
        }
    }
}
