using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Training;

/// <summary>
/// PyTorch's <c>torch.optim.AdamW</c> (betas 0.9 / 0.999, eps 1e-8, decoupled weight decay, no amsgrad), with
/// its state in plain named tensors so a checkpoint can hold it: <c>p -= lr * wd * p</c>, then the bias-corrected
/// Adam step.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly IReadOnlyList<(string Name, Parameter Param)> _params;
    private readonly Dictionary<string, (Tensor M, Tensor V)> _state = [];

    public AdamW(IEnumerable<(string Name, Parameter Param)> parameters, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        _params = parameters.ToList();
        WeightDecay = weightDecay;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        foreach (var (name, p) in _params) _state[name] = (torch.zeros_like(p), torch.zeros_like(p));
    }

    public double WeightDecay { get; }

    public double Beta1 { get; }

    public double Beta2 { get; }

    public double Eps { get; }

    /// <summary>Steps taken so far (PyTorch's per-parameter <c>step</c>, equal for all here).</summary>
    public long Steps { get; private set; }

    public void ZeroGrad()
    {
        foreach (var (_, p) in _params) p.grad?.zero_();
    }

    public void Step(double lr)
    {
        Steps++;
        double bc1 = 1 - Math.Pow(Beta1, Steps), bc2 = 1 - Math.Pow(Beta2, Steps);
        using var _ = torch.no_grad();
        // Owned Scalars (see TsneEmbedder: TorchSharp's temporaries are not kept alive across native calls).
        using var decay = (1 - lr * WeightDecay).ToScalar();
        using var b1 = Beta1.ToScalar();
        using var b2 = Beta2.ToScalar();
        using var oneMinusB1 = (1 - Beta1).ToScalar();
        using var oneMinusB2 = (1 - Beta2).ToScalar();
        using var sqrtBc2 = Math.Sqrt(bc2).ToScalar();
        using var eps = Eps.ToScalar();
        using var one = 1.0.ToScalar();
        using var step = (-lr / bc1).ToScalar();
        foreach (var (name, p) in _params)
        {
            var g = p.grad;
            if (g is null) continue;
            var (m, v) = _state[name];
            p.mul_(decay);
            m.mul_(b1).add_(g, oneMinusB1);
            v.mul_(b2).addcmul_(g, g, oneMinusB2);
            using var denom = v.sqrt().div_(sqrtBc2).add_(eps, one);
            p.addcdiv_(m, denom, step);
        }
    }

    /// <summary>The state as named tensors (<c>optim.NAME.exp_avg</c>, <c>.exp_avg_sq</c>) plus the step count.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["optim.step"] = torch.tensor(Steps) };
        foreach (var (name, (m, v)) in _state)
        {
            d[$"optim.{name}.exp_avg"] = m;
            d[$"optim.{name}.exp_avg_sq"] = v;
        }
        return d;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> d, string source)
    {
        using var _ = torch.no_grad();
        Steps = d.TryGetValue("optim.step", out var s) ? s.item<long>() : throw new SlsInputException(source, "training state has no optim.step");
        foreach (var (name, (m, v)) in _state)
        {
            if (!d.TryGetValue($"optim.{name}.exp_avg", out var dm) || !d.TryGetValue($"optim.{name}.exp_avg_sq", out var dv))
                throw new SlsInputException(source, $"training state has no optimizer state for '{name}'");
            m.copy_(dm);
            v.copy_(dv);
        }
    }

    public void Dispose()
    {
        foreach (var (m, v) in _state.Values)
        {
            m.Dispose();
            v.Dispose();
        }
    }
}
