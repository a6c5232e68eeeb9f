using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Fem.Tsne;

/// <summary>What sklearn's <c>_gradient_descent</c> keeps per layer (the embedding, the update and the gains) for a
/// batch of layers, and its step. <see cref="TsneEmbedder"/> drives it and decides, per layer, the exaggeration,
/// momentum and whether the layer still moves.</summary>
internal interface IDescentState : IDisposable
{
    /// <summary>The gradient at the current embedding, then for every layer: gains + 0.2 where the update and the
    /// gradient differ in sign, x 0.8 elsewhere, at least min_gain; update = momentum * update - learning_rate * gains *
    /// grad; y += update. A layer with <paramref name="active"/> 0 keeps its gains, update and embedding.</summary>
    /// <param name="computeError">whether to compute the error (at the embedding before the step).</param>
    /// <returns>when <paramref name="check"/>: the error per layer (null unless <paramref name="computeError"/>) and the
    /// norm of each layer's gains * grad; else nulls.</returns>
    (double[]? Error, float[]? Norms) Step(float[] exaggeration, float[] momentum, float[] active, bool check, bool computeError);

    /// <summary>A layer's update to 0 and gains to 1 (the start of sklearn's second descent).</summary>
    void Reset(int layer);

    /// <summary>The error of each layer at the current embedding with P not exaggerated.</summary>
    double[] FinalError();

    /// <summary>Each layer's embedding, [n, 2] float32 on the CPU.</summary>
    Tensor[] Embeddings();
}

/// <summary>The state as torch tensors [layers, n, 2] on any device, the step as torch ops.</summary>
internal sealed class TensorDescentState : IDescentState
{
    private readonly ITsneGradient _gradient;
    private readonly int _layers;
    private readonly Device _device;
    private readonly Scalar _negLr, _gainUp, _gainDown, _minGain, _zero, _one;
    private readonly Tensor _y, _update, _gains;

    public TensorDescentState(Tensor init, ITsneGradient gradient, int layers, double learningRate, double minGain)
    {
        _gradient = gradient;
        _layers = layers;
        _device = init.device;
        // Explicit, owned Scalars, and an explicit alpha on every add: TorchSharp creates temporary Scalars for
        // implicit conversions and default alphas and does not keep them alive across the native call, so under GC
        // pressure a finalizer could free one mid-call (seen as an intermittent "toDouble"/"toFloat" error).
        _negLr = ((float)-learningRate).ToScalar();
        _gainUp = 0.2f.ToScalar();
        _gainDown = 0.8f.ToScalar();
        _minGain = ((float)minGain).ToScalar();
        _zero = 0f.ToScalar();
        _one = 1f.ToScalar();
        _y = init.clone();
        _update = torch.zeros_like(_y);
        _gains = torch.ones_like(_y);
    }

    public (double[]? Error, float[]? Norms) Step(float[] exaggeration, float[] momentum, float[] active, bool check, bool computeError)
    {
        using var scope = torch.NewDisposeScope();
        var (grad, error) = _gradient.Compute(_y, exaggeration, computeError);
        var m = torch.tensor(momentum, device: _device).reshape(_layers, 1, 1);
        var a = torch.tensor(active, device: _device).reshape(_layers, 1, 1);
        var inactive = a.neg().add_(_one, _one);
        var inc = _update.mul(grad).lt(_zero);
        _gains.copy_(torch.where(inc, _gains.add(_gainUp, _one), _gains.mul(_gainDown)).clamp_min(_minGain).mul(a).add_(_gains.mul(inactive), _one));
        var scaled = grad.mul(_gains);
        _update.copy_(m.mul(_update).add_(scaled.mul(_negLr), _one).mul(a).add_(_update.mul(inactive), _one));
        _y.add_(_update.mul(a), _one);
        return check ? (error, scaled.pow(2).sum([1, 2]).sqrt().cpu().data<float>().ToArray()) : (null, null);
    }

    public void Reset(int layer)
    {
        using var u = _update[layer];
        using var g = _gains[layer];
        u.zero_();
        g.fill_(1f);
    }

    public double[] FinalError()
    {
        var (grad, error) = _gradient.Compute(_y, Enumerable.Repeat(1f, _layers).ToArray(), true);
        grad.Dispose();
        return error!;
    }

    public Tensor[] Embeddings()
    {
        using var cpu = _y.cpu();
        return Enumerable.Range(0, _layers).Select(l => cpu[l].clone()).ToArray();
    }

    public void Dispose()
    {
        foreach (var s in new[] { _negLr, _gainUp, _gainDown, _minGain, _zero, _one }) s.Dispose();
        foreach (var t in new[] { _y, _update, _gains }) t.Dispose();
    }
}

/// <summary>
/// The state as float arrays (layer by layer, point by point, x then y) for <see cref="CpuTsneGradient"/>: the step as
/// one loop instead of about 20 small torch ops and two copies between tensors and arrays per iteration.
/// <para>Bit-identical to <see cref="TensorDescentState"/>: each element goes through the same float32 operations in
/// the same order as the torch ops' elementwise kernels do (a + alpha * b with alpha 1, which torch may compute as a
/// fused multiply-add, is a + b rounded once either way; .NET rounds every float operation to float32 and never
/// contracts a*b+c into an FMA; the comparisons and the select are exact), and the norms are computed by the same torch
/// ops on the same values.</para>
/// </summary>
internal sealed class ArrayDescentState : IDescentState
{
    private const float GainUp = 0.2f, GainDown = 0.8f;
    private readonly CpuTsneGradient _gradient;
    private readonly int _layers, _n;
    private readonly float _negLr, _minGain;
    private readonly float[] _y, _update, _gains, _grad, _scaled;

    public ArrayDescentState(Tensor init, CpuTsneGradient gradient, int layers, int n, TsneOptions o)
    {
        _gradient = gradient;
        _layers = layers;
        _n = n;
        _negLr = (float)-o.LearningRateFor(n);
        _minGain = (float)o.MinGain;
        _y = TensorValues.Floats(init);
        _update = new float[_y.Length];
        _gains = new float[_y.Length];
        Array.Fill(_gains, 1f);
        _grad = new float[_y.Length];
        _scaled = new float[_y.Length];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (double[]? Error, float[]? Norms) Step(float[] exaggeration, float[] momentum, float[] active, bool check, bool computeError)
    {
        var error = _gradient.Compute(_y, exaggeration, computeError, _grad);
        _gradient.Team.For(_layers, l => StepLayer(l, momentum[l], active[l]));
        if (!check) return (null, null);
        using var scope = torch.NewDisposeScope();
        var norms = torch.tensor(_scaled, [_layers, _n, 2]).pow(2).sum([1, 2]).sqrt().data<float>().ToArray();
        return (error, norms);
    }

    /// <summary>One layer's step after its gradient (see <see cref="IDescentState.Step"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void StepLayer(int l, float m, float act)
    {
        // Per element, as TensorDescentState's ops in order:
        //   inactive = -active + 1
        //   gains  = where(update * grad < 0, gains + 0.2, gains * 0.8).clamp_min(min_gain) * active + gains * inactive
        //   scaled = grad * gains
        //   update = (momentum * update + scaled * -lr) * active + update * inactive
        //   y      = y + update * active
        float inact = -act + 1f;
        int per = 2 * _n, e = l * per, end = e + per, w = Vector<float>.Count;
        ref float y0 = ref MemoryMarshal.GetArrayDataReference(_y);
        ref float u0 = ref MemoryMarshal.GetArrayDataReference(_update);
        ref float gn0 = ref MemoryMarshal.GetArrayDataReference(_gains);
        ref float g0 = ref MemoryMarshal.GetArrayDataReference(_grad);
        ref float s0 = ref MemoryMarshal.GetArrayDataReference(_scaled);
        var vm = new Vector<float>(m);
        var vact = new Vector<float>(act);
        var vinact = new Vector<float>(inact);
        var vup = new Vector<float>(GainUp);
        var vdown = new Vector<float>(GainDown);
        var vmin = new Vector<float>(_minGain);
        var vlr = new Vector<float>(_negLr);
        for (; e <= end - w; e += w)
        {
            var g = Vector.LoadUnsafe(ref g0, (nuint)e);
            var u = Vector.LoadUnsafe(ref u0, (nuint)e);
            var gn = Vector.LoadUnsafe(ref gn0, (nuint)e);
            var gw = Vector.ConditionalSelect(Vector.LessThan(u * g, Vector<float>.Zero), gn + vup, gn * vdown);
            gw = Vector.ConditionalSelect(Vector.LessThan(gw, vmin), vmin, gw);   // clamp_min: NaN stays NaN
            var gains = gw * vact + gn * vinact;
            var scaled = g * gains;
            var update = (vm * u + scaled * vlr) * vact + u * vinact;
            (Vector.LoadUnsafe(ref y0, (nuint)e) + update * vact).StoreUnsafe(ref y0, (nuint)e);
            gains.StoreUnsafe(ref gn0, (nuint)e);
            scaled.StoreUnsafe(ref s0, (nuint)e);
            update.StoreUnsafe(ref u0, (nuint)e);
        }
        for (; e < end; e++)
        {
            float g = _grad[e], u = _update[e], gn = _gains[e];
            float gw = u * g < 0f ? gn + GainUp : gn * GainDown;
            if (gw < _minGain) gw = _minGain;
            float gains = gw * act + gn * inact;
            float scaled = g * gains;
            float update = (m * u + scaled * _negLr) * act + u * inact;
            _y[e] += update * act;
            _gains[e] = gains;
            _scaled[e] = scaled;
            _update[e] = update;
        }
    }

    public void Reset(int layer)
    {
        Array.Fill(_update, 0f, layer * 2 * _n, 2 * _n);
        Array.Fill(_gains, 1f, layer * 2 * _n, 2 * _n);
    }

    public double[] FinalError() => _gradient.Compute(_y, Enumerable.Repeat(1f, _layers).ToArray(), true, _grad)!;

    public Tensor[] Embeddings() =>
        Enumerable.Range(0, _layers).Select(l => torch.tensor(_y.AsSpan(l * 2 * _n, 2 * _n).ToArray(), [_n, 2])).ToArray();

    public void Dispose()
    {
    }
}
