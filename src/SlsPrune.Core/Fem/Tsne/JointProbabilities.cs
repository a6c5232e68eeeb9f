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
        int n = (int)x.shape[0];
        var (sq, idx) = NearestNeighbours(x, neighbours);
        var conditional = BinarySearch(sq, n, neighbours, perplexity);
        return Symmetrise(n, neighbours, idx, conditional);
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

    /// <summary>sklearn's <c>_binary_search_perplexity</c> with neighbours: conditional P, [n, k], in double.</summary>
    internal static double[] BinarySearch(float[] sq, int n, int k, double perplexity)
    {
        var p = new double[n * k];
        double desiredEntropy = Math.Log(perplexity);
        ParallelWork.For(n, i =>
        {
            double betaMin = double.NegativeInfinity, betaMax = double.PositiveInfinity, beta = 1.0;
            int o = i * k;
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
        });
        return p;
    }

    /// <summary>P + P^T over the union of neighbour edges (double), divided by its sum, cast to float32.</summary>
    internal static SparseP Symmetrise(int n, int k, int[] idx, double[] conditional)
    {
        int m = n * k;
        var keys = new long[2 * m];
        var vals = new double[2 * m];
        for (int e = 0; e < m; e++)
        {
            long i = e / k, j = idx[e];
            keys[2 * e] = i * n + j;
            vals[2 * e] = conditional[e];
            keys[2 * e + 1] = j * n + i;
            vals[2 * e + 1] = conditional[e];
        }
        Array.Sort(keys, vals);
        var rows = new List<int>(m);
        var cols = new List<int>(m);
        var merged = new List<double>(m);
        for (int e = 0; e < keys.Length; e++)
        {
            if (e > 0 && keys[e] == keys[e - 1])
            {
                merged[^1] += vals[e];
                continue;
            }
            rows.Add((int)(keys[e] / n));
            cols.Add((int)(keys[e] % n));
            merged.Add(vals[e]);
        }
        double sum = Math.Max(merged.Sum(), MachineEpsilon);
        return new SparseP(n, [.. rows], [.. cols], merged.Select(v => (float)(v / sum)).ToArray());
    }
}
