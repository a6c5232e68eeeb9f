using System.Diagnostics;
using System.Globalization;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.Models;
using TorchSharp;

namespace SlsPrune.Core.Pruning.Budgets;

/// <summary>The cost of every depth 1..N of a model, computed once: FLOPs and parameters analytically (what
/// <c>sls eval</c> prints for the cut model), and, where a latency budget needs it, the time of one batch through the
/// cut model measured here (<see cref="Warmup"/> rounds first, then <see cref="Repeats"/> timed: the median and the
/// interquartile range). <see cref="Warning"/>: the measurements spread wider than the gap between two depths'
/// medians, so the order of nearby depths is noise.</summary>
public sealed record CostTable(IReadOnlyList<DepthCost> Rows, int? LatencyBatch = null, string? Warning = null)
{
    public const int Warmup = 3;
    public const int Repeats = 15;

    public DepthCost Full => Rows[^1];

    /// <summary>FLOPs and parameters of every depth of <paramref name="model"/> (a full-depth model).</summary>
    public static CostTable Analytic(Backbone model) =>
        new(Enumerable.Range(1, model.Depth).Select(k => new DepthCost(k, model.FlopsOfLeading(k), model.ParametersOfLeading(k))).ToArray());

    /// <summary>The analytic costs and every depth's latency at <paramref name="batch"/> images, measured on
    /// <paramref name="device"/>: the depths take turns in every round (<see cref="Warmup"/> untimed rounds, then
    /// <see cref="Repeats"/> timed), so a burst of load on the machine falls on all of them alike.</summary>
    public static CostTable Measured(Backbone model, int batch, torch.Device device, CancellationToken cancellationToken)
    {
        var rows = Analytic(model).Rows;
        using var _ = torch.no_grad();
        using var x = torch.randn(batch, model.Input.Channels, model.Input.ImageSize, model.Input.ImageSize).to(device);
        var times = rows.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < Warmup + Repeats; round++)
            for (int d = 0; d < rows.Count; d++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                var sw = Stopwatch.StartNew();
                model.ForwardFirst(x, rows[d].Blocks);
                if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
                if (round >= Warmup) times[d].Add(sw.Elapsed.TotalMilliseconds);
            }
        var measured = rows.Select((r, d) =>
        {
            times[d].Sort();
            return r with { LatencyMs = Quantile(times[d], 0.5), LatencySpreadMs = Quantile(times[d], 0.75) - Quantile(times[d], 0.25) };
        }).ToArray();
        return new CostTable(measured, batch, NoiseWarning(measured));
    }

    private static double Quantile(List<double> sorted, double q)
    {
        double at = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(at), hi = (int)Math.Ceiling(at);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
    }

    /// <summary>The warning when some depth's spread is wider than the smallest gap between two adjacent depths' medians.</summary>
    public static string? NoiseWarning(IReadOnlyList<DepthCost> rows)
    {
        if (rows.Count < 2 || rows.Any(r => r.LatencyMs is null)) return null;
        double gap = rows.Zip(rows.Skip(1)).Min(p => Math.Abs(p.Second.LatencyMs!.Value - p.First.LatencyMs!.Value));
        double spread = rows.Max(r => r.LatencySpreadMs ?? 0);
        var inv = CultureInfo.InvariantCulture;
        return spread > gap
            ? $"latency measurements spread up to {spread.ToString("0.###", inv)} ms (interquartile range), more than the smallest gap between two "
                + $"depths ({gap.ToString("0.###", inv)} ms): the order of nearby depths is noise on this machine"
            : null;
    }
}
