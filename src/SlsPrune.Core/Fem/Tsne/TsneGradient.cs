using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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

/// <summary>Fused CPU loops, rows in parallel work items: for each row one SIMD pass over the layer's points for the
/// repulsion (no n^2 temporaries), and the attraction over P's entries for 8 rows at once (one row per SIMD lane, see
/// <see cref="LaneGroups"/>); per-row sums are combined in a fixed order, so the result does not depend on scheduling.
/// The work items run on a <see cref="WorkerTeam"/> the instance owns (its threads end at <see cref="Dispose"/>).
/// An instance reuses its buffers from call to call: not for concurrent use.</summary>
public sealed class CpuTsneGradient : ITsneGradient, IDisposable
{
    private const float Tiny = 1.17549435e-38f;
    private const int Block = 64;                  // repulsion rows per work item
    private const int Lanes = 8;                   // rows per attraction group: one per float lane of a Vector256
    private const int GroupsPerItem = Block / Lanes;
    private readonly BatchedP p;
    private readonly int[][] _rowStart;
    private readonly LaneGroups[]? _groups;        // null: the scalar attraction, row by row
    private readonly bool _rowPairs;               // the repulsion of two rows per 512-bit vector (RepulsionPair)
    private readonly float[] _xs, _ys, _rep, _attr; // per-call buffers: x and y of each row, the two forces
    private readonly float[] _laneX, _laneY;        // the lane groups' attraction, lane by lane (LaneGroups.SlotOf maps a row to its lane)
    private readonly double[] _rowZ;
    private readonly WorkerTeam _team = new();

    public CpuTsneGradient(BatchedP p) : this(p, Avx.IsSupported, rowPairs: true) { }

    /// <param name="laneGroups">false: the attraction row by row in scalar code (what the lane groups reproduce bit
    /// for bit); ignored without AVX, where that is the only path.</param>
    /// <param name="rowPairs">false: the repulsion one row at a time (what <see cref="RepulsionPair"/> reproduces bit
    /// for bit); ignored where 512-bit vectors are not accelerated or <see cref="Vector{T}"/> is not 8 floats wide.</param>
    internal CpuTsneGradient(BatchedP p, bool laneGroups, bool rowPairs)
    {
        this.p = p;
        _rowPairs = rowPairs && Avx512DQ.IsSupported && Vector512.IsHardwareAccelerated && Vector<float>.Count == 8;
        _rowStart = p.PerLayer.Select(s => RowStarts(s, p.N)).ToArray();
        if (laneGroups && Avx.IsSupported) _groups = p.PerLayer.Select((s, l) => new LaneGroups(s, _rowStart[l])).ToArray();
        int rows = p.Layers * p.N;
        (_xs, _ys, _rep, _rowZ) = (new float[rows], new float[rows], new float[2 * rows], new double[rows]);
        // the attraction's results: row by row for the scalar loop, lane by lane for the lane groups
        int lanes = _groups is null ? 0 : p.Layers * LanesPerLayer(p.N);
        (_attr, _laneX, _laneY) = (new float[_groups is null ? 2 * rows : 0], new float[lanes], new float[lanes]);
    }

    private static int LanesPerLayer(int n) => (n + Lanes - 1) / Lanes * Lanes;

    private static int[] RowStarts(SparseP s, int n)
    {
        var start = new int[n + 1];
        foreach (int r in s.Rows) start[r + 1]++;
        for (int i = 0; i < n; i++) start[i + 1] += start[i];
        return start;
    }

    public (Tensor Grad, double[]? Error) Compute(Tensor y, float[] exaggeration, bool computeError)
    {
        float[] yy = TensorValues.Floats(y);
        var grad = new float[yy.Length];
        var error = Compute(yy, exaggeration, computeError, grad);
        return (torch.tensor(grad, [p.Layers, p.N, 2]).to(y.device), error);
    }

    /// <summary><see cref="Compute(Tensor, float[], bool)"/> on arrays, for <see cref="ArrayDescentState"/>. Not for
    /// concurrent calls on one instance (it reuses its buffers).</summary>
    /// <param name="y">[layers, n, 2] float32, row-major.</param>
    /// <param name="grad">receives the gradient, same layout.</param>
    internal double[]? Compute(float[] y, float[] exaggeration, bool computeError, float[] grad)
    {
        int layers = p.Layers, n = p.N, rows = layers * n;
        float[] xs = _xs, ys = _ys, rep = _rep, attr = _attr;
        double[] rowZ = _rowZ;
        _team.For(layers, l =>
        {
            for (int i = l * n, end = i + n; i < end; i++)
            {
                xs[i] = y[2 * i];
                ys[i] = y[2 * i + 1];
            }
        });
        // Work item w: the repulsion of rows [64w, 64w + 64) and the attraction of lane groups [8w, 8w + 8) (numbered
        // layer by layer); each row's results are written by one item only.
        int groupsPerLayer = (n + Lanes - 1) / Lanes;
        int items = Math.Max((rows + Block - 1) / Block, (layers * groupsPerLayer + GroupsPerItem - 1) / GroupsPerItem);
        _team.For(items, w =>
        {
            for (int r = w * Block, end = Math.Min(rows, r + Block); r < end;)
            {
                int count = _rowPairs && r + 1 < end && (r + 1) % n != 0 ? 2 : 1; // a pair's rows are of one layer
                if (count == 2) RepulsionPair(r, xs, ys, n, rep, rowZ);
                else Repulsion(r, xs, ys, n, rep, rowZ);
                if (_groups is null) for (int k = 0; k < count; k++) Attraction(r + k, xs, ys, n, exaggeration, attr);
                r += count;
            }
            if (_groups is null) return;
            for (int gg = w * GroupsPerItem, end = Math.Min(layers * groupsPerLayer, gg + GroupsPerItem); gg < end; gg++)
            {
                int l = gg / groupsPerLayer;
                _groups[l].Attraction(gg - l * groupsPerLayer, l * n, y, exaggeration[l], _laneX, _laneY, l * LanesPerLayer(n));
            }
        });
        // Each layer's Z, its rows added in order, and its gradient.
        var z = new double[layers];
        _team.For(layers, l =>
        {
            double zl = 0;
            for (int r = l * n, end = r + n; r < end; r++) zl += rowZ[r];
            z[l] = zl;
            float invZ = (float)(1.0 / zl);
            if (_groups is null)
            {
                for (int r = l * n, end = r + n; r < end; r++)
                {
                    grad[2 * r] = 4f * (attr[2 * r] - rep[2 * r] * invZ);
                    grad[2 * r + 1] = 4f * (attr[2 * r + 1] - rep[2 * r + 1] * invZ);
                }
                return;
            }
            int[] slotOf = _groups[l].SlotOf;
            for (int i = 0, r = l * n, lb = l * LanesPerLayer(n); i < n; i++, r++)
            {
                grad[2 * r] = 4f * (_laneX[lb + slotOf[i]] - rep[2 * r] * invZ);
                grad[2 * r + 1] = 4f * (_laneY[lb + slotOf[i]] - rep[2 * r + 1] * invZ);
            }
        });
        return computeError ? Error(y, xs, ys, n, exaggeration, z) : null;
    }

    // The hot loops are compiled fully optimised at their first call (AggressiveOptimization) rather than tiered:
    // tiering starts them unoptimised and the fit is over before some reach tier 1 (the FEM bench's 1000 iterations of 12
    // layers: 1.6 -> 1.5 s; docs/BENCHMARKS.md).
    /// <summary>Row r's sum_j q_ij^2 (y_i - y_j) and sum_{j != i} q_ij, over its layer's points.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Repulsion(int r, float[] xs, float[] ys, int n, float[] rep, double[] rowZ)
    {
        int l = r / n, b = l * n;
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
        FinishRow(r, j, Vector.Sum(accZ), Vector.Sum(accX), Vector.Sum(accY), xs, ys, n, rep, rowZ);
    }

    /// <summary>Rows r and r + 1 (of one layer) as <see cref="Repulsion"/> computes each, bit for bit: one 512-bit vector
    /// holds row r's 8 lanes in its lower half and row r + 1's in its upper half, both against the same 8 columns, so each
    /// half goes through exactly the float32 operations, in the same order, of the 8-lane loop for its row (elementwise
    /// arithmetic rounds lane by lane; the halves are summed as <see cref="Vector.Sum{T}(Vector{T})"/> sums an 8-float
    /// vector). Where a core runs 512-bit vectors at full width (AMD Zen 5) a whole gradient takes 1.33-1.35x less time
    /// than with the one-row loop (<c>bench/SlsPrune.Bench tsne-gradient</c>, docs/BENCHMARKS.md).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void RepulsionPair(int r, float[] xs, float[] ys, int n, float[] rep, double[] rowZ)
    {
        int b = r / n * n, j = 0;
        ref float ax0 = ref MemoryMarshal.GetArrayDataReference(xs);
        ref float ay0 = ref MemoryMarshal.GetArrayDataReference(ys);
        var vxi = Vector512.Create(Vector256.Create(xs[r]), Vector256.Create(xs[r + 1]));
        var vyi = Vector512.Create(Vector256.Create(ys[r]), Vector256.Create(ys[r + 1]));
        var one = Vector512<float>.One;
        Vector512<float> accZ = Vector512<float>.Zero, accX = Vector512<float>.Zero, accY = Vector512<float>.Zero;
        for (; j <= n - 8; j += 8)
        {
            // The 8 columns in both halves; inserting into the widened load (rather than Vector512.Create(c, c)) keeps
            // the JIT from inserting into the previous iteration's register, a dependency that halves the loop's rate.
            var cx = Vector256.LoadUnsafe(ref ax0, (nuint)(b + j));
            var cy = Vector256.LoadUnsafe(ref ay0, (nuint)(b + j));
            var dx = vxi - Avx512DQ.InsertVector256(cx.ToVector512Unsafe(), cx, 1);
            var dy = vyi - Avx512DQ.InsertVector256(cy.ToVector512Unsafe(), cy, 1);
            var q = one / (one + dx * dx + dy * dy);
            accZ += q;
            var q2 = q * q;
            accX += q2 * dx;
            accY += q2 * dy;
        }
        FinishRow(r, j, Vector256.Sum(accZ.GetLower()), Vector256.Sum(accX.GetLower()), Vector256.Sum(accY.GetLower()), xs, ys, n, rep, rowZ);
        FinishRow(r + 1, j, Vector256.Sum(accZ.GetUpper()), Vector256.Sum(accX.GetUpper()), Vector256.Sum(accY.GetUpper()), xs, ys, n, rep,
            rowZ);
    }

    /// <summary>Row r's repulsion from its lanes' sums: the columns from <paramref name="j"/> on (those after the last
    /// whole vector) one at a time, then the row's results.</summary>
    private static void FinishRow(int r, int j, float zr, float fx, float fy, float[] xs, float[] ys, int n, float[] rep, double[] rowZ)
    {
        int b = r / n * n;
        float xi = xs[r], yi = ys[r];
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
    }

    /// <summary>Row r's sum_j p_ij q_ij (y_i - y_j) over its P entries in order, in scalar code: the reference that
    /// <see cref="LaneGroups.Attraction"/> reproduces bit for bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Attraction(int r, float[] xs, float[] ys, int n, float[] exaggeration, float[] attr)
    {
        int l = r / n, i = r - l * n, b = l * n;
        float xi = xs[r], yi = ys[r];
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

    /// <summary>
    /// One layer's P laid out for the attraction 8 rows at a time (the SELL-8 sparse format): the rows sorted by their
    /// number of entries, longest first (ties by index), taken 8 at a time; a group's entries stored slot by slot, slot
    /// s holding the s-th entry of each of its 8 rows (column and value), a row shorter than the group's longest
    /// padded with (its own index, value 0).
    /// <para>Bit-identical to the scalar <see cref="CpuTsneGradient.Attraction"/>: lane k computes exactly the scalar
    /// loop's float32 operations for its row, in the same order (elementwise Vector256 arithmetic rounds as scalar
    /// code does, and .NET never contracts a*b+c into an FMA), and its two sums add the row's entries one after another
    /// in P's order, as the scalar loop does. A padding entry adds exactly +0 (value 0, dx = dy = 0: pq = +0, pq * dx =
    /// +0), which leaves any sum unchanged: the sums start at +0 and a round-to-nearest sum is -0 only when both terms
    /// are, so they are never -0. What changes is speed: 8 divisions per instruction, and 8 independent add chains in
    /// place of one per row (the scalar loop waits on the add latency at every entry).</para>
    /// </summary>
    private sealed class LaneGroups
    {
        private readonly int[] _rows;       // [groups * 8] the row of each lane; -1 for none (n not a multiple of 8)
        private readonly int[] _counts;     // [groups * 8] the number of P entries of each lane's row (0 for none)
        private readonly int[] _start;      // [groups + 1] first slot of each group
        private readonly int[] _cols;       // [slots * 8]
        private readonly float[] _values;   // [slots * 8]

        /// <summary>[n] each row's lane (group * 8 + lane), where <see cref="Attraction"/> leaves its result.</summary>
        public int[] SlotOf { get; }

        public LaneGroups(SparseP s, int[] rowStart)
        {
            int n = s.N, groups = (n + Lanes - 1) / Lanes;
            // The kernels read points by these indices without bounds checks.
            if (s.Cols.Any(c => (uint)c >= (uint)n)) throw new ArgumentException("P has a column index outside its layer", nameof(s));
            var order = Enumerable.Range(0, n).OrderByDescending(i => rowStart[i + 1] - rowStart[i]).ThenBy(i => i).ToArray();
            _rows = new int[groups * Lanes];
            SlotOf = new int[n];
            for (int lane = 0; lane < n; lane++) SlotOf[order[lane]] = lane;
            _counts = new int[groups * Lanes];
            _start = new int[groups + 1];
            for (int g = 0; g < groups; g++)
            {
                int longest = order[g * Lanes];
                _start[g + 1] = _start[g] + rowStart[longest + 1] - rowStart[longest];
            }
            _cols = new int[_start[groups] * Lanes];
            _values = new float[_start[groups] * Lanes];
            for (int g = 0; g < groups; g++)
            {
                for (int k = 0; k < Lanes; k++)
                {
                    int lane = g * Lanes + k;
                    int row = lane < n ? order[lane] : -1;
                    _rows[lane] = row;
                    int own = row < 0 ? order[g * Lanes] : row, first = row < 0 ? 0 : rowStart[row], count = row < 0 ? 0 : rowStart[row + 1] - first;
                    _counts[lane] = count;
                    for (int e = 0; e < _start[g + 1] - _start[g]; e++)
                    {
                        int o = (_start[g] + e) * Lanes + k;
                        (_cols[o], _values[o]) = e < count ? (s.Cols[first + e], s.Values[first + e]) : (own, 0f);
                    }
                }
            }
        }

        /// <summary>Group g's attraction, its 8 lanes' x and y written to <paramref name="laneX"/> and <paramref name="laneY"/>
        /// at <paramref name="laneBase"/> + 8g (a row's lane is <see cref="SlotOf"/>): whole vectors, next to the group's
        /// neighbours, so two threads share far fewer cache lines than at the rows' places (at most one where their ranges
        /// meet).</summary>
        /// <param name="b">the layer's first row.</param>
        /// <param name="xy">[rows, 2] the embedding, interleaved.</param>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Attraction(int g, int b, float[] xy, float ex, float[] laneX, float[] laneY, int laneBase)
        {
            // One (x, y) pair is one 8-byte load: point j is element j of the layer's xy read as doubles.
            ref double pts = ref Unsafe.As<float, double>(ref xy[2 * b]);
            ref int cols = ref MemoryMarshal.GetArrayDataReference(_cols);
            ref float values = ref MemoryMarshal.GetArrayDataReference(_values);
            var (xi, yi) = OwnPoints(g, ref pts);
            var vex = Vector256.Create(ex);
            var one = Vector256.Create(1f);
            Vector256<float> gx = Vector256<float>.Zero, gy = Vector256<float>.Zero;
            for (int slot = _start[g], end = _start[g + 1]; slot < end; slot++)
            {
                var (xj, yj) = Points(ref pts, ref Unsafe.Add(ref cols, slot * Lanes));
                var dx = xi - xj;
                var dy = yi - yj;
                var pq = Vector256.LoadUnsafe(ref values, (nuint)(slot * Lanes)) * vex / (one + dx * dx + dy * dy);
                gx += pq * dx;
                gy += pq * dy;
            }
            gx.StoreUnsafe(ref laneX[laneBase + g * Lanes]);
            gy.StoreUnsafe(ref laneY[laneBase + g * Lanes]);
        }

        /// <summary>Group g's rows' error sums, written to <paramref name="rowError"/> at its rows: the scalar
        /// <see cref="CpuTsneGradient.Error"/> loop's float and double operations 8 lanes at a time (its Math.Max(x,
        /// Tiny) as a select that gives the same result for every x, NaN included), then per lane and entry Math.Log
        /// and the row's sum in P's order. Padding entries are skipped.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Error(int g, int b, float[] xy, float ex, double z, double[] rowError)
        {
            ref double pts = ref Unsafe.As<float, double>(ref xy[2 * b]);
            ref int cols = ref MemoryMarshal.GetArrayDataReference(_cols);
            ref float values = ref MemoryMarshal.GetArrayDataReference(_values);
            var (xi, yi) = OwnPoints(g, ref pts);
            var vex = Vector256.Create(ex);
            var one = Vector256.Create(1f);
            var tiny = Vector256.Create(Tiny);
            var tinyD = Vector256.Create((double)Tiny);
            var vz = Vector256.Create(z);
            Span<double> err = stackalloc double[Lanes];
            Span<double> pd = stackalloc double[Lanes];
            Span<double> ratio = stackalloc double[Lanes];
            err.Clear();
            for (int slot = _start[g], end = _start[g + 1]; slot < end; slot++)
            {
                var (xj, yj) = Points(ref pts, ref Unsafe.Add(ref cols, slot * Lanes));
                var dx = xi - xj;
                var dy = yi - yj;
                var q = one / (one + dx * dx + dy * dy);
                var pij = Vector256.LoadUnsafe(ref values, (nuint)(slot * Lanes)) * vex;
                var (pLo, pHi) = Vector256.Widen(pij);
                var (mpLo, mpHi) = Vector256.Widen(AtLeastTiny(pij, tiny));
                var (qLo, qHi) = Vector256.Widen(q);
                (mpLo / AtLeastTiny(qLo / vz, tinyD)).StoreUnsafe(ref ratio[0]);
                (mpHi / AtLeastTiny(qHi / vz, tinyD)).StoreUnsafe(ref ratio[4]);
                pLo.StoreUnsafe(ref pd[0]);
                pHi.StoreUnsafe(ref pd[4]);
                int e = slot - _start[g];
                for (int k = 0; k < Lanes; k++)
                    if (e < _counts[g * Lanes + k]) err[k] += pd[k] * Math.Log(ratio[k]);
            }
            for (int k = 0; k < Lanes; k++)
            {
                int row = _rows[g * Lanes + k];
                if (row >= 0) rowError[b + row] = err[k];
            }
        }

        /// <summary>Math.Max(x, tiny) lane by lane for a positive tiny: x when x is NaN or above tiny, else tiny.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<T> AtLeastTiny<T>(Vector256<T> x, Vector256<T> tiny) =>
            Vector256.ConditionalSelect(~Vector256.Equals(x, x) | Vector256.GreaterThan(x, tiny), x, tiny);

        /// <summary>Group g's own points, one row per lane (a padding lane repeats the group's first row).</summary>
        private (Vector256<float> X, Vector256<float> Y) OwnPoints(int g, ref double pts)
        {
            Span<int> own = stackalloc int[Lanes];
            for (int k = 0; k < Lanes; k++) own[k] = _rows[g * Lanes + k] < 0 ? _rows[g * Lanes] : _rows[g * Lanes + k];
            return Points(ref pts, ref MemoryMarshal.GetReference(own));
        }

        /// <summary>The x and y of the 8 points whose indices start at <paramref name="idx"/>, lane k = idx[k]: four
        /// 16-byte halves of two pairs each, then one shuffle for the x's and one for the y's.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector256<float> X, Vector256<float> Y) Points(ref double pts, ref int idx)
        {
            // a: pairs 0, 1 | 4, 5 and b: pairs 2, 3 | 6, 7 as floats x0 y0 x1 y1 | x4 y4 x5 y5 and x2 y2 x3 y3 | x6 y6 x7 y7;
            // Avx.Shuffle works within each 128-bit half: (a0, a2, b0, b2) = (x0, x1, x2, x3), and the y's from 1, 3.
            var a = Vector256.Create(Pair(ref pts, ref idx, 0), Pair(ref pts, ref idx, 4)).AsSingle();
            var b = Vector256.Create(Pair(ref pts, ref idx, 2), Pair(ref pts, ref idx, 6)).AsSingle();
            return (Avx.Shuffle(a, b, 0b10_00_10_00), Avx.Shuffle(a, b, 0b11_01_11_01));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<double> Pair(ref double pts, ref int idx, int k) =>
            Vector128.Create(Unsafe.Add(ref pts, Unsafe.Add(ref idx, k)), Unsafe.Add(ref pts, Unsafe.Add(ref idx, k + 1)));
    }

    /// <summary>sklearn's error per layer: the rows' sums (<see cref="LaneGroups.Error"/> 8 rows at a time, or the
    /// scalar loop here, which it reproduces bit for bit), added up in row order.</summary>
    private double[] Error(float[] y, float[] xs, float[] ys, int n, float[] exaggeration, double[] z)
    {
        int layers = p.Layers;
        var rowError = new double[layers * n];
        if (_groups is not null)
        {
            int groupsPerLayer = (n + Lanes - 1) / Lanes;
            _team.For(layers * groupsPerLayer, gg =>
            {
                int l = gg / groupsPerLayer;
                _groups[l].Error(gg - l * groupsPerLayer, l * n, y, exaggeration[l], z[l], rowError);
            });
        }
        else _team.For(layers * n, r =>
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

    /// <summary>Whether the repulsion runs two rows per 512-bit vector (<see cref="RepulsionPair"/>) on this machine.</summary>
    internal bool UsesRowPairs => _rowPairs;

    /// <summary>The team the gradient runs on, for the per-layer work around it (<see cref="ArrayDescentState"/>).</summary>
    internal WorkerTeam Team => _team;

    public void Dispose() => _team.Dispose();
}
