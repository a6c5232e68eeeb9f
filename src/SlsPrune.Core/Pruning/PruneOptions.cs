using SlsPrune.Core.Data;
using SlsPrune.Core.Models;

namespace SlsPrune.Core.Pruning;

/// <summary>Options of <c>sls prune</c> every method shares: the model, the task and calibration split, the index to
/// write, the seed, the method and its own options record (<see cref="IPruneMethod.ReadOptions"/>).</summary>
public sealed record PruneOptions(ModelOptions Model, string Data, IPruneMethod Method, object MethodOptions,
    string Split = SplitNames.TrainVal, string Out = "index.sls.json", int Seed = 0)
{
    /// <summary>How <see cref="Data"/> is read (CSV columns, EXIF orientation, where the layout is said).</summary>
    public DataOptions DataOptions { get; init; } = DataOptions.Defaults;

    /// <summary>Calibrate on this many images of the split, a stratified sample drawn for <see cref="Seed"/>.</summary>
    public int? Calibration { get; init; }

    /// <summary>Calibrate on this many images of every class of the split (all of a smaller class), drawn for <see cref="Seed"/>.</summary>
    public int? CalibrationPerClass { get; init; }

    /// <summary>What outside the method reads every layer's score once the run is done (a batch's report draws each task's
    /// score curve), or null: a method that can score fewer layers when its own outputs do not need them all (SLS's
    /// <c>--scoring auto</c>) scores every layer when this is set.</summary>
    public string? EveryLayerReadBy { get; init; }

    /// <summary>Prune to this budget (<c>--budget flops=0.6</c>, <c>params=</c>, <c>latency=5ms</c>, <c>depth=N</c>): the
    /// method chooses among the depths (or, a width method, the widths) that fit; null: no budget.</summary>
    public Budgets.Budget? Budget { get; init; }

    /// <summary>The batch a latency budget is measured at.</summary>
    public int LatencyBatch { get; init; } = 1;

    /// <summary>What of the run reads every layer's score besides the method's own outputs: <see cref="EveryLayerReadBy"/>,
    /// else a budget's front (its table and figure show each depth's score); null: nothing.</summary>
    public string? EveryLayerReader => EveryLayerReadBy ?? (Budget is null ? null : "the budget's front");

    /// <summary>Options of <paramref name="method"/> at their defaults; the split, output and seed given, else the defaults.</summary>
    public static PruneOptions For(ModelOptions model, string data, IPruneMethod method, string? split = null, string? output = null, int? seed =
        null)
    {
        var o = new PruneOptions(model, data, method, method.ReadOptions(new(), method.Name));
        return o with { Split = split ?? o.Split, Out = output ?? o.Out, Seed = seed ?? o.Seed };
    }

    /// <summary>Every setting at its default (model and data empty; the default method with its options at theirs): the
    /// one place the command line's options and a batch manifest read them from.</summary>
    public static readonly PruneOptions Defaults = For(ModelOptions.Defaults, "", PruneMethods.Default);
}
