using System.Numerics;
using System.Runtime.InteropServices;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Fem.Tsne;

/// <summary>
/// The exact t-SNE gradient for a batch of layers (Student-t with one degree of freedom, 2-D), scaled as
/// scikit-learn's: grad_i = 4 (sum_j p_ij q_ij (y_i - y_j) - sum_j q_ij^2 (y_i - y_j) / Z), with
/// q_ij = 1 / (1 + |y_i - y_j|^2), Z = sum_{i != j} q_ij, and p the (possibly exaggerated) sparse P.
/// The error, when asked for, is sklearn's: sum over P's entries of p log(max(p, tiny) / max(q / Z, tiny)).
/// </summary>
public interface ITsneGradient
{
    /// <param name="y">[layers, n, 2] float32.</param>
    /// <param name="exaggeration">per layer, the factor P is multiplied by.</param>
    /// <returns>the gradient [layers, n, 2] on the device of <paramref name="y"/>; the error per layer or null.</returns>
    (Tensor Grad, double[]? Error) Compute(Tensor y, float[] exaggeration, bool computeError);
}

/// <summary>How the P matrices of a batch of layers are held (COO, rows sorted; indices local to a layer).</summary>
public sealed record BatchedP(int Layers, int N, IReadOnlyList<SparseP> PerLayer);

/// <summary>Torch ops: sparse attraction by gather / index_add, dense repulsion over row chunks. Any device.</summary>
public sealed class TorchTsneGradient : ITsneGradient, IDisposable
{
    private const float Tiny = 1.17549435e-38f; // np.finfo(np.float32).tiny
    private readonly int _layers, _n;
    private readonly Tensor _rows, _cols, _vals, _layerOf;

    public TorchTsneGradient(BatchedP p, Device device)
    {
        _layers = p.Layers;
        _n = p.N;
        var rows = new List<long>();
        var cols = new List<long>();
        var vals = new List<float>();
        var layerOf = new List<long>();
        for (int l = 0; l < p.Layers; l++)
        {
            var s = p.PerLayer[l];
            for (int e = 0; e < s.Values.Length; e++)
            {
                rows.Add((long)l * p.N + s.Rows[e]);
                cols.Add((long)l * p.N + s.Cols[e]);
                vals.Add(s.Values[e]);
                layerOf.Add(l);
            }
        }
        _rows = torch.tensor(rows.ToArray(), device: device);
        _cols = torch.tensor(cols.ToArray(), device: device);
        _vals = torch.tensor(vals.ToArray(), device: device);
        _layerOf = torch.tensor(layerOf.ToArray(), device: device);
    }

    public (Tensor Grad, double[]? Error) Compute(Tensor y, float[] exaggeration, bool computeError)
    {
        using var scope = torch.NewDisposeScope();
        var (rep, z) = Repulsion(y);
        var yf = y.reshape(_layers * _n, 2);
        var diff = yf.index_select(0, _rows) - yf.index_select(0, _cols);
        var q = (diff.pow(2).sum(1) + 1).reciprocal();
        var p = _vals * torch.tensor(exaggeration, device: y.device).index_select(0, _layerOf);
        var attr = torch.zeros(_layers * _n, 2, device: y.device).index_add_(0, _rows, diff * (p * q).unsqueeze(1), 1).reshape(_layers, _n, 2);
        var grad = ((attr - rep / z.to(float32).reshape(_layers, 1, 1)) * 4f).MoveToOuterDisposeScope();
        double[]? error = null;
        if (computeError)
        {
            var qn = q.to(float64) / z.index_select(0, _layerOf);
            var pd = p.to(float64);
            var terms = pd * (pd.clamp_min(Tiny) / qn.clamp_min(Tiny)).log();
            error = torch.zeros(_layers, dtype: float64, device: y.device).index_add_(0, _layerOf, terms, 1).cpu().data<double>().ToArray();
        }
        return (grad, error);
    }

    /// <summary>sum_j q_ij^2 (y_i - y_j) [L, n, 2] and Z [L] (float64), dense over row chunks.</summary>
    private (Tensor Forces, Tensor Z) Repulsion(Tensor y)
    {
        long chunk = Math.Max(1, 16_000_000 / Math.Max(1, (long)_layers * _n));
        var parts = new List<Tensor>();
        var z = torch.zeros(_layers, dtype: float64, device: y.device);
        for (long s = 0; s < _n; s += chunk)
        {
            long e = Math.Min(_n, s + chunk);
            var diff = y[TensorIndex.Colon, TensorIndex.Slice(s, e)].unsqueeze(2) - y.unsqueeze(1);  // [L, c, n, 2]
            var q = (diff.pow(2).sum(-1) + 1).reciprocal();                                          // [L, c, n]
            z.add_(q.to(float64).sum([1, 2]) - (e - s));                                              // without q_ii = 1
            parts.Add((q.pow(2).unsqueeze(-1) * diff).sum(2));
        }
        return (torch.cat(parts, 1), z);
    }

    public void Dispose()
    {
        _rows.Dispose();
        _cols.Dispose();
        _vals.Dispose();
        _layerOf.Dispose();
    }
}

/// <summary>Fused CPU loops: for each row one SIMD pass over the layer's points for the repulsion (no n^2
/// temporaries) and one over its P entries for the attraction, rows in parallel blocks; per-row sums are
/// combined in a fixed order, so the result does not depend on scheduling.</summary>
public sealed class CpuTsneGradient(BatchedP p) : ITsneGradient
{
    private const float Tiny = 1.17549435e-38f;
    private const int Block = 64;
    private readonly int[][] _rowStart = p.PerLayer.Select(s => RowStarts(s, p.N)).ToArray();

    private static int[] RowStarts(SparseP s, int n)
    {
        var start = new int[n + 1];
        foreach (int r in s.Rows) start[r + 1]++;
        for (int i = 0; i < n; i++) start[i + 1] += start[i];
        return start;
    }

    public (Tensor Grad, double[]? Error) Compute(Tensor y, float[] exaggeration, bool computeError)
    {
        int layers = p.Layers, n = p.N, rows = layers * n;
        using var cpu = y.to(float32).cpu().contiguous();
        var yy = cpu.data<float>().ToArray();
        var xs = new float[rows];
        var ys = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            xs[i] = yy[2 * i];
            ys[i] = yy[2 * i + 1];
        }
        var rep = new float[rows * 2];
        var attr = new float[rows * 2];
        var rowZ = new double[rows];
        ParallelWork.For((rows + Block - 1) / Block, blk =>
        {
            for (int r = blk * Block, end = Math.Min(rows, r + Block); r < end; r++) Row(r, xs, ys, n, exaggeration, rep, attr, rowZ);
        });
        var z = new double[layers];
        for (int l = 0; l < layers; l++)
            for (int i = 0; i < n; i++) z[l] += rowZ[l * n + i];
        var grad = new float[rows * 2];
        for (int r = 0; r < rows; r++)
        {
            float invZ = (float)(1.0 / z[r / n]);
            grad[2 * r] = 4f * (attr[2 * r] - rep[2 * r] * invZ);
            grad[2 * r + 1] = 4f * (attr[2 * r + 1] - rep[2 * r + 1] * invZ);
        }
        return (torch.tensor(grad, [layers, n, 2]).to(y.device), computeError ? Error(xs, ys, n, exaggeration, z) : null);
    }

    private void Row(int r, float[] xs, float[] ys, int n, float[] exaggeration, float[] rep, float[] attr, double[] rowZ)
    {
        int l = r / n, i = r - l * n, b = l * n;
        float xi = xs[r], yi = ys[r];
        ref float ax0 = ref MemoryMarshal.GetArrayDataReference(xs);
        ref float ay0 = ref MemoryMarshal.GetArrayDataReference(ys);
        int w = Vector<float>.Count, j = 0;
        var vxi = new Vector<float>(xi);
        var vyi = new Vector<float>(yi);
        Vector<float> accZ = Vector<float>.Zero, accX = Vector<float>.Zero, accY = Vector<float>.Zero;
        for (; j <= n - w; j += w)
        {
            var dx = vxi - Vector.LoadUnsafe(ref ax0, (nuint)(b + j));
            var dy = vyi - Vector.LoadUnsafe(ref ay0, (nuint)(b + j));
            var q = Vector<float>.One / (Vector<float>.One + dx * dx + dy * dy);
            accZ += q;
            var q2 = q * q;
            accX += q2 * dx;
            accY += q2 * dy;
        }
        float zr = Vector.Sum(accZ), fx = Vector.Sum(accX), fy = Vector.Sum(accY);
        for (; j < n; j++)
        {
            float dx = xi - xs[b + j], dy = yi - ys[b + j];
            float q = 1f / (1f + dx * dx + dy * dy);
            zr += q;
            fx += q * q * dx;
            fy += q * q * dy;
        }
        rep[2 * r] = fx;
        rep[2 * r + 1] = fy;
        rowZ[r] = zr - 1.0; // without the i == j term

        var s = p.PerLayer[l];
        float ex = exaggeration[l], gx = 0, gy = 0;
        for (int e = _rowStart[l][i], end = _rowStart[l][i + 1]; e < end; e++)
        {
            int jj = b + s.Cols[e];
            float dx = xi - xs[jj], dy = yi - ys[jj];
            float pq = s.Values[e] * ex / (1f + dx * dx + dy * dy);
            gx += pq * dx;
            gy += pq * dy;
        }
        attr[2 * r] = gx;
        attr[2 * r + 1] = gy;
    }

    private double[] Error(float[] xs, float[] ys, int n, float[] exaggeration, double[] z)
    {
        int layers = p.Layers;
        var rowError = new double[layers * n];
        ParallelWork.For(layers * n, r =>
        {
            int l = r / n, i = r - l * n, b = l * n;
            var s = p.PerLayer[l];
            double err = 0;
            for (int e = _rowStart[l][i]; e < _rowStart[l][i + 1]; e++)
            {
                int j = b + s.Cols[e];
                float dx = xs[r] - xs[j], dy = ys[r] - ys[j];
                float q = 1f / (1f + dx * dx + dy * dy);
                float pij = s.Values[e] * exaggeration[l];
                err += pij * Math.Log(Math.Max(pij, Tiny) / Math.Max(q / z[l], Tiny));
            }
            rowError[r] = err;
        });
        var error = new double[layers];
        for (int l = 0; l < layers; l++)
            for (int i = 0; i < n; i++) error[l] += rowError[l * n + i];
        return error;
    }
}
