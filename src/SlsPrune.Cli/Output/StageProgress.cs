using System.Diagnostics;
using System.Globalization;
using SlsPrune.Core.Pruning;

namespace SlsPrune.Cli.Output;

/// <summary>Progress as plain lines on stderr: each stage's start, a few updates, and its completion with the
/// time it took. Never writes to stdout, so <c>--json</c> stays clean.</summary>
public sealed class StageProgress(TextWriter err) : IStageProgress
{
    private readonly Dictionary<PruneStage, (Stopwatch Clock, double Total, double LastShown)> _stages = [];
    private readonly Lock _lock = new();

    public void Start(PruneStage stage, string description, double total)
    {
        lock (_lock)
        {
            _stages[stage] = (Stopwatch.StartNew(), total, 0);
            err.WriteLine($"sls: {Name(stage)}: {description}");
        }
    }

    public void Advance(PruneStage stage, double value, string? detail = null)
    {
        lock (_lock)
        {
            if (!_stages.TryGetValue(stage, out var s)) return;
            // about ten lines per stage, plus every scoring line (one per layer)
            if (stage != PruneStage.Scoring && value - s.LastShown < s.Total / 10 && value < s.Total) return;
            _stages[stage] = s with { LastShown = value };
            string pct = s.Total > 0 ? $"{100 * value / s.Total:F0}%" : "";
            err.WriteLine($"sls: {Name(stage)}: {value.ToString(CultureInfo.InvariantCulture)}/{s.Total.ToString(CultureInfo.InvariantCulture)} "
                + $"{pct}{(detail is null ? "" : $" {detail}")}");
        }
    }

    public void Complete(PruneStage stage)
    {
        lock (_lock)
        {
            if (_stages.TryGetValue(stage, out var s))
                err.WriteLine($"sls: {Name(stage)}: done in {s.Clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s");
        }
    }

    public void Warn(string message)
    {
        lock (_lock) err.WriteLine($"sls: warning: {message}");
    }

    private static string Name(PruneStage s) => s switch
    {
        PruneStage.Tsne => "t-SNE",
        _ => s.ToString().ToLowerInvariant(),
    };
}
