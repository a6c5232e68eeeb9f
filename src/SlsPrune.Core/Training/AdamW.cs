using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Training;

/// <summary>
/// PyTorch's <c>torch.optim.AdamW</c> (betas 0.9 / 0.999, eps 1e-8, decoupled weight decay, no amsgrad), with
/// its state in plain named tensors so a checkpoint can hold it: <c>p -= lr * wd * p</c>, then the bias-corrected
/// Adam step.
/// </summary>
/// <remarks>The parameters are moved into one flat buffer per dtype and device (each parameter a view of it, as
/// PyTorch's fused optimizers group them), and so are the moments, so a step is nine tensor operations over all
/// parameters at once (their gradients gathered by one <c>cat</c>) in place of nine per parameter: the same
/// element-wise float operations in the same order, so the same values. A step where some parameter has no
/// gradient (PyTorch skips it, weight decay included) goes parameter by parameter.</remarks>
public sealed class AdamW : IDisposable
{
    private readonly IReadOnlyList<(string Name, Parameter Param)> _params;
    private readonly Dictionary<string, (Tensor M, Tensor V)> _state = [];
    private readonly List<Group> _groups = [];

    /// <summary>Parameters sharing a dtype and device: their flat storage and moments, in <see cref="Members"/>' order.</summary>
    private sealed record Group(Tensor Params, Tensor M, Tensor V, List<(string Name, Parameter Param)> Members);

    public AdamW(IEnumerable<(string Name, Parameter Param)> parameters, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps =
        1e-8)
    {
        _params = parameters.ToList();
        WeightDecay = weightDecay;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        using var _ = torch.no_grad();
        foreach (var members in _params.GroupBy(np => (np.Param.dtype, np.Param.device.ToString())))
        {
            long total = members.Sum(np => np.Param.numel());
            var options = members.First().Param;
            var flat = torch.empty(total, dtype: options.dtype, device: options.device);
            var m = torch.zeros(total, dtype: options.dtype, device: options.device);
            var v = torch.zeros(total, dtype: options.dtype, device: options.device);
            long at = 0;
            foreach (var (name, p) in members)
            {
                long n = p.numel();
                var shape = p.shape;
                using (var slot = flat.narrow(0, at, n).view(shape))
                {
                    slot.copy_(p);
                    p.set_(slot); // the parameter now lives in the flat buffer (what holds it sees the same tensor)
                }
                _state[name] = (m.narrow(0, at, n).view(shape), v.narrow(0, at, n).view(shape));
                at += n;
            }
            _groups.Add(new Group(flat, m, v, members.ToList()));
        }
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
        using var scope = torch.NewDisposeScope();
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
        void Update(Tensor p, Tensor g, Tensor m, Tensor v)
        {
            p.mul_(decay);
            m.mul_(b1).add_(g, oneMinusB1);
            v.mul_(b2).addcmul_(g, g, oneMinusB2);
            var denom = v.sqrt().div_(sqrtBc2).add_(eps, one);
            p.addcdiv_(m, denom, step);
        }
        foreach (var group in _groups)
        {
            var grads = group.Members.Select(np => np.Param.grad).ToList();
            if (grads.All(g => g is not null))
            {
                Update(group.Params, torch.cat(grads.Select(g => g!.reshape(-1)).ToList(), 0), group.M, group.V);
                continue;
            }
            foreach (var ((name, p), g) in group.Members.Zip(grads))
            {
                if (g is null) continue;
                var (m, v) = _state[name];
                Update(p, g, m, v);
            }
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
        foreach (var g in _groups)
        {
            // the parameters keep the flat storage alive through their views; only the handles go
            g.Params.Dispose();
            g.M.Dispose();
            g.V.Dispose();
        }
    }
}
