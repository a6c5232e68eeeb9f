using System.Runtime.CompilerServices;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Fem.Tsne;

/// <summary>A sparse symmetric P for one layer (COO, rows sorted then columns), float32 values summing to 1.</summary>
public sealed record SparseP(int N, int[] Rows, int[] Cols, float[] Values);

/// <summary>
/// scikit-learn's <c>_joint_probabilities_nn</c>: squared Euclidean distances to each point's
/// min(n-1, 3*perplexity+1) nearest neighbours (the point itself excluded by index), cast to float32; the
/// per-point binary search for the precision that gives the wanted perplexity (<c>_binary_search_perplexity</c>,
/// in double, 100 steps, tolerance 1e-5); then P + P^T normalised by its sum.
/// </summary>
public static class JointProbabilities
{
    private const double PerplexityTolerance = 1e-5;
    private const double EpsilonDbl = 1e-8;
    private const int Steps = 100;
    private const double MachineEpsilon = 2.220446049250313e-16; // np.finfo(np.double).eps

    /// <param name="x">[n, d] features of one layer (any device).</param>
    public static SparseP Compute(Tensor x, double perplexity, int neighbours)
    {
        using var one = x.unsqueeze(0);
        return ComputeLayers(one, perplexity, neighbours)[0];
    }

    /// <summary>Every layer's P: the layers' nearest neighbours one after another (each a parallel torch op), then
    /// all layers' binary searches in one parallel loop and their symmetrisations side by side. The same P per layer as
    /// <see cref="Compute(Tensor, double, int)"/>.</summary>
    /// <param name="features">[layers, n, d] (any device).</param>
    public static SparseP[] ComputeLayers(Tensor features, double perplexity, int neighbours)
    {
        int layers = (int)features.shape[0], n = (int)features.shape[1], k = neighbours;
        var sq = new float[layers][];
        var idx = new int[layers][];
        for (int l = 0; l < layers; l++)
        {
            using var x = features[l];
            (sq[l], idx[l]) = NearestNeighbours(x, k);
        }
        var conditional = Enumerable.Range(0, layers).Select(_ => new double[n * k]).ToArray();
        double desiredEntropy = Math.Log(perplexity);
        ParallelWork.For(layers * n, r => SearchPoint(sq[r / n], conditional[r / n], r % n * k, k, desiredEntropy));
        var p = new SparseP[layers];
        ParallelWork.For(layers, l => p[l] = Symmetrise(n, k, idx[l], conditional[l]));
        return p;
    }

    /// <summary>Squared distances (float32, ascending) and indices of each row's nearest neighbours.</summary>
    internal static (float[] SqDist, int[] Index) NearestNeighbours(Tensor x, int k)
    {
        int n = (int)x.shape[0];
        var sq = new float[n * k];
        var ix = new int[n * k];
        using var scope = torch.NewDisposeScope();
        var xd = x.to(float64);
        int chunk = Math.Max(1, (int)Math.Min(n, 4_000_000L / n));
        for (int start = 0; start < n; start += chunk)
        {
            int rows = Math.Min(chunk, n - start);
            using var inner = torch.NewDisposeScope();
            var d = torch.cdist(xd[start..(start + rows)], xd);
            var self = torch.arange(start, start + rows, device: x.device);
            d[torch.arange(rows, device: x.device), self] = torch.tensor(double.PositiveInfinity, device: x.device);
            var (vals, idx) = d.topk(k, dim: 1, largest: false, sorted: true);
            var v = vals.to(float32).pow(2).cpu().data<float>().ToArray();
            var i = idx.to(int32).cpu().data<int>().ToArray();
            Array.Copy(v, 0, sq, start * k, v.Length);
            Array.Copy(i, 0, ix, start * k, i.Length);
        }
        return (sq, ix);
    }

    /// <summary>sklearn's <c>_binary_search_perplexity</c> with neighbours for one point: its k conditional
    /// probabilities (in double) written to p at offset o.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called a few thousand times: fully optimised from the first
    private static void SearchPoint(float[] sq, double[] p, int o, int k, double desiredEntropy)
    {
        double betaMin = double.NegativeInfinity, betaMax = double.PositiveInfinity, beta = 1.0;
        for (int step = 0; step < Steps; step++)
        {
            double sumP = 0;
            for (int j = 0; j < k; j++)
            {
                p[o + j] = Math.Exp(-sq[o + j] * beta);
                sumP += p[o + j];
            }
            if (sumP == 0.0) sumP = EpsilonDbl;
            double sumDistP = 0;
            for (int j = 0; j < k; j++)
            {
                p[o + j] /= sumP;
                sumDistP += sq[o + j] * p[o + j];
            }
            double entropy = Math.Log(sumP) + beta * sumDistP;
            double diff = entropy - desiredEntropy;
            if (Math.Abs(diff) <= PerplexityTolerance) break;
            if (diff > 0.0)
            {
                betaMin = beta;
                beta = double.IsPositiveInfinity(betaMax) ? beta * 2.0 : (beta + betaMax) / 2.0;
            }
            else
            {
                betaMax = beta;
                beta = double.IsNegativeInfinity(betaMin) ? beta / 2.0 : (beta + betaMin) / 2.0;
            }
        }
    }

    /// <summary>P + P^T over the union of neighbour edges (double), divided by its sum, cast to float32.</summary>
    /// <remarks>Entries in row-major order, columns ascending within a row. Built row by row in O(n k log k): row i
    /// holds its own k neighbours (sorted by column) and the points that have i among theirs (met in ascending order of
    /// the point, so already sorted), merged; an (i, j) in both is p_j|i + p_i|j. The same entries, values and total
    /// (summed in the same order) as sorting all 2nk (i*n + j, value) keys, which this replaced: neighbours are
    /// distinct, so an entry has at most two terms, and one double addition gives the same bits in either order.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per layer: fully optimised from the first call
    internal static SparseP Symmetrise(int n, int k, int[] idx, double[] conditional)
    {
        // The reverse edges (j -> i for each neighbour j of i), bucketed by j in CSR form; filled in ascending i.
        var revStart = new int[n + 1];
        foreach (int j in idx) revStart[j + 1]++;
        for (int i = 0; i < n; i++) revStart[i + 1] += revStart[i];
        var revCol = new int[n * k];
        var revVal = new double[n * k];
        var fill = revStart[..n];
        for (int e = 0; e < n * k; e++)
        {
            int slot = fill[idx[e]]++;
            revCol[slot] = e / k;
            revVal[slot] = conditional[e];
        }

        var rows = new int[2 * n * k];
        var cols = new int[2 * n * k];
        var merged = new double[2 * n * k];
        int count = 0;
        var fwdCol = new int[k];
        var fwdVal = new double[k];
        for (int i = 0; i < n; i++)
        {
            Array.Copy(idx, i * k, fwdCol, 0, k);
            Array.Copy(conditional, i * k, fwdVal, 0, k);
            Array.Sort(fwdCol, fwdVal);
            int a = 0, b = revStart[i], bEnd = revStart[i + 1];
            while (a < k || b < bEnd)
            {
                int col = a < k && (b >= bEnd || fwdCol[a] <= revCol[b]) ? fwdCol[a] : revCol[b];
                double v = 0;
                bool first = true;
                // every term with this column (one or two), added in turn as the sorted merge did
                for (; a < k && fwdCol[a] == col; a++, first = false) v = first ? fwdVal[a] : v + fwdVal[a];
                for (; b < bEnd && revCol[b] == col; b++, first = false) v = first ? revVal[b] : v + revVal[b];
                rows[count] = i;
                cols[count] = col;
                merged[count++] = v;
            }
        }
        double total = 0;
        for (int e = 0; e < count; e++) total += merged[e]; // in entry order
        double sum = Math.Max(total, MachineEpsilon);
        var values = new float[count];
        for (int e = 0; e < count; e++) values[e] = (float)(merged[e] / sum);
        return new SparseP(n, rows[..count], cols[..count], values);
    }
}
