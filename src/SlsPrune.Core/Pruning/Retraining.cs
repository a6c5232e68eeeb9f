using SlsPrune.Core.IO;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.Training;

namespace SlsPrune.Core.Pruning;

/// <summary><c>sls train --index</c>: retrains the pruned model an index describes (its kept blocks at their widths;
/// the backbone must be the index's), then re-issues the index for the new PETL file so <c>eval --index</c>
/// accepts the pair.</summary>
public static class Retraining
{
    public static TrainResult Run(TrainOptions o, string indexPath, bool allowMismatch, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        var index = PruningIndex.Load(indexPath);
        var r = PetlTrainer.Run(o with
        {
            Plan = index.ToPlan(),
            PlanSource = indexPath,
            Check = new Models.FingerprintCheck(indexPath, index.Backbone, null, allowMismatch),
        }, progress, cancellationToken);
        if (!File.Exists(o.Out)) return r;
        string reissued = Path.ChangeExtension(Path.GetFullPath(o.Out), ".sls.json");
        (index with
        {
            Petl = FileHash.Fingerprint(o.Out),
            Decision = index.Decision + $" (PETL retrained on the kept blocks: best {r.BestAccuracy:P2} at epoch {r.BestEpoch})",
            Created = DateTimeOffset.UtcNow,
        }).Save(reissued);
        return r with { Index = reissued };
    }
}
