using SlsPrune.Core.Data;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.Models;
using TorchSharp;

namespace SlsPrune.Core.Pruning;

/// <summary>
/// What every prune method works from, built once by <see cref="PruneRunner"/>: the options, the task and its
/// calibration split, the model, the device, an index already filled with what all methods record (calibration,
/// fingerprints, tool), progress and cancellation.
/// </summary>
public sealed class PruneContext(PruneOptions options, IDataSource task, IReadOnlyList<LabelledImage> items, BuiltModel model, torch.Device device,
    PruningIndex index, IStageProgress? progress, CancellationToken cancellation, Budgets.CostTable? costs = null)
{
    /// <summary>The cost of every depth, computed once before the method runs where the run has a budget (null: none).</summary>
    public Budgets.CostTable? Costs { get; } = costs;

    /// <summary>The run's budget (null: none); <see cref="Costs"/> is then known and some depth fits it.</summary>
    public Budgets.Budget? Budget => Options.Budget;

    /// <summary>The run's options as the caller gave them (model, data, method, output paths, seed).</summary>
    public PruneOptions Options { get; } = options;

    /// <summary>The data, as its layout opened it.</summary>
    public IDataSource Task { get; } = task;

    /// <summary>The calibration split's images.</summary>
    public IReadOnlyList<LabelledImage> Items { get; } = items;

    /// <summary>The full model (all blocks), built once, on <see cref="Device"/>, in evaluation mode.</summary>
    public BuiltModel Model { get; } = model;

    /// <summary>The device the model is on and the method's tensors should be made on.</summary>
    public torch.Device Device { get; } = device;

    /// <summary>The common fields of the index the method completes.</summary>
    public PruningIndex Index { get; } = index;

    /// <summary>Receives the stages and per-item progress the method reports; null: nothing reported (use <see cref="Advance"/>).</summary>
    public IStageProgress? Progress { get; } = progress;

    /// <summary>The run's cancellation, to check between batches and iterations.</summary>
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Progress of a stage as a per-item callback that also stops at cancellation.</summary>
    public IProgress<int> Advance(PruneStage stage, int offset = 0) => new Runtime.Callback<int>(n =>
    {
        Cancellation.ThrowIfCancellationRequested();
        Progress?.Advance(stage, offset + n);
    });

    /// <summary>The default path of a method's new PETL file: beside the index.</summary>
    public string DefaultPetlOut() => DefaultPetlOut(Options.Out);

    /// <summary>The default path of a method's new PETL file beside the index <paramref name="indexOut"/>.</summary>
    public static string DefaultPetlOut(string indexOut)
    {
        string full = Path.GetFullPath(indexOut);
        string name = Path.GetFileName(full);
        foreach (var ext in new[] { ".sls.json", ".json" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) { name = name[..^ext.Length]; break; }
        return Path.Combine(Path.GetDirectoryName(full)!, name + ".petl.safetensors");
    }

    /// <summary>How many blocks another index keeps (the <c>--match-index</c> budget); its depth must be this model's.</summary>
    public int MatchedKeptBlocks(string matchIndex)
    {
        var other = PruningIndex.Load(matchIndex);
        if (other.Depth != Model.FullDepth) throw new SlsInputException(matchIndex, $"index is for a {other.Depth}-block model, this one has "
            + $"{Model.FullDepth}");
        return other.KeptBlocks.Count;
    }

    /// <summary>The block budget of layer methods: <c>--keep-blocks</c>, or as many blocks as <c>--match-index</c> keeps.</summary>
    public int? BlockBudget(int? keepBlocks, string? matchIndex)
    {
        if (keepBlocks is not null && matchIndex is not null) throw new SlsInputException("--keep-blocks",
            "give --keep-blocks or --match-index, not both");
        return matchIndex is null ? keepBlocks : MatchedKeptBlocks(matchIndex);
    }
}
