using SlsPrune.Core.Indexing;
using SlsPrune.Core.IO;
using SlsPrune.Core.Training;

namespace SlsPrune.Core.Pruning;

/// <summary><c>sls train --index</c>: retrains the pruned model an index describes (its kept blocks at their widths;
/// the backbone must be the index's), then re-issues the index for the new PETL file so <c>eval --index</c>
/// accepts the pair. An index that keeps every block at full width describes the unpruned model: retraining it would
/// only train the task's PETL modules again, so it is skipped with a note (<see cref="NothingPruned"/>).</summary>
public static class Retraining
{
    /// <summary>Where the re-issued index goes: the PETL file's path with the extension <c>.sls.json</c>.</summary>
    public static string ReissuedPath(string petlOut) => Path.ChangeExtension(Path.GetFullPath(petlOut), ".sls.json");

    /// <summary>Trains the task's PETL modules (and head) on the pruned model the index at <paramref name="indexPath"/>
    /// describes, as <see cref="PetlTrainer.Run"/> trains a full one, then writes a copy of the index fingerprinted for the
    /// new PETL file to <see cref="TrainOptions.Out"/> with the extension <c>.sls.json</c>. <paramref name="allowMismatch"/>: accept an index
    /// computed for
    /// another backbone file. <paramref name="progress"/> receives one report per epoch.</summary>
    /// <returns>The training result; <see cref="TrainResult.Skipped"/> says why nothing was trained (an index that prunes nothing).</returns>
    /// <exception cref="SlsInputException">naming the index or file at fault: unreadable, or computed for other files.</exception>
    /// <exception cref="OperationCanceledException">when <paramref name="cancellationToken"/> is cancelled (the last epoch's state is kept for
    /// resuming).</exception>
    public static TrainResult Run(TrainOptions o, string indexPath, bool allowMismatch, IProgress<EpochReport>? progress = null,
        CancellationToken cancellationToken = default)
    {
        // the index re-issued beside the new PETL file is an output like it: never the index read, nor the PETL file itself
        string reissued = ReissuedPath(o.Out);
        const string beside = "--out (the index re-issued beside it)";
        OutputPath.CheckFile(reissued, beside, o.Model.Backbone, o.Model.Petl, o.InitFrom, indexPath, o.Data, o.DistillFrom);
        OutputPath.CheckDistinct([new OutputTarget(o.Out, "--out"), new OutputTarget(reissued, beside)]);
        var index = PruningIndex.Load(indexPath);
        if (NothingPruned(index) is string why)
        {
            o.Note?.Invoke(why);
            return new TrainResult(o.Out, 0, 0, 0, null, 0, []) { Skipped = why };
        }
        var r = PetlTrainer.Run(o with
        {
            Plan = index.ToPlan(),
            PlanSource = indexPath,
            Check = new Models.FingerprintCheck(indexPath, index.Backbone, null, allowMismatch),
        }, progress, cancellationToken);
        if (!File.Exists(o.Out)) return r;
        (index with
        {
            Petl = FileHash.Fingerprint(o.Out),
            Decision = index.Decision + $" (PETL retrained on the kept blocks: best {r.BestAccuracy:P2} at epoch {r.BestEpoch})",
            Created = DateTimeOffset.UtcNow,
        }).Save(reissued);
        return r with { Index = reissued };
    }

    /// <summary>Why retraining the model <paramref name="index"/> describes is pointless (every block kept, none narrowed), or null.</summary>
    public static string? NothingPruned(PruningIndex index) =>
        index.KeptBlocks.Count == index.Depth && (index.Width is null || index.Width.Count == 0)
            ? $"retraining skipped: the index keeps every block ({index.Depth} of {index.Depth}) at full width, so the pruned model is the "
                + $"unpruned one and its PETL file stays as it is"
            : null;
}
