using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Evaluation;
using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;
using SlsPrune.Core.Training;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>
/// Adaptive greedy layer pruning (after Ficsor and Berend 2024). Start from the trained PETL model; at each
/// step try removing each remaining block, briefly retrain the adapters and head of that candidate (from the
/// current weights, constant lr, on the fit split), and score it on the score split (<c>val200</c>); remove
/// the best candidate's block and continue from its retrained weights. Stop at the block budget
/// (<c>--keep-blocks</c>, default 1) or when the best candidate scores under a fraction (default 0.95) of the
/// full model's score. Writes the index and the final retrained PETL file.
/// </summary>
public static class GreedyLayerPruner
{
    public static (PruningIndex Index, string PetlOut) Run(PruneOptions o, LoadedModel loaded, VtabTask task, PruningIndex index,
        IStageProgress? progress, CancellationToken ct)
    {
        int depth = loaded.Config.Depth;
        int minBlocks = BaselineRunner.BlockBudget(o, depth) ?? 1;
        if (minBlocks < 1 || minBlocks > depth) throw new SlsInputException("--keep-blocks", $"must be within 1..{depth}");
        if (o.AglpEpochs <= 0) throw new SlsInputException("--aglp-epochs", "must be positive");
        if (!(o.AglpFraction > 0 && o.AglpFraction <= 1)) throw new SlsInputException("--aglp-fraction", "must be in (0, 1]");
        var device = DeviceSelector.Resolve(o.Device);
        var scoreItems = task.Read(o.ScoreSplit, loaded.Config.NumClasses);
        _ = task.Read(o.FitSplit, loaded.Config.NumClasses);

        progress?.Start(PruneStage.Features, $"score of the full model on {o.ScoreSplit}", scoreItems.Count);
        var (correct, seen) = Accuracy.Count(loaded.Model, scoreItems, Preprocessor.For(loaded.Config), o.BatchSize, device,
            new Callback<int>(n => progress?.Advance(PruneStage.Features, n)), ct);
        progress?.Complete(PruneStage.Features);
        double full = (double)correct / seen, floor = o.AglpFraction * full;

        string petlOut = Path.GetFullPath(o.PetlOut ?? BaselineRunner.DefaultPetlOut(o.Out));
        string work = petlOut + ".aglp-work";
        Directory.CreateDirectory(work);
        var kept = Enumerable.Range(1, depth).ToList();
        string current = Path.GetFullPath(o.Model.Petl!);
        var steps = new List<string> { $"full model: {o.ScoreSplit} {full:P2}; floor {o.AglpFraction:0.###} x full = {floor:P2}" };
        string reason = $"reached the budget of {minBlocks} blocks";
        int maxCandidates = Enumerable.Range(minBlocks + 1, depth - minBlocks).Sum();
        progress?.Start(PruneStage.Scoring, $"greedy search ({maxCandidates} candidates at most)", maxCandidates);
        int tried = 0;
        try
        {
            for (int step = 1; kept.Count > minBlocks; step++)
            {
                (int Block, double Score, string Petl)? best = null;
                foreach (int b in kept)
                {
                    ct.ThrowIfCancellationRequested();
                    var candidate = kept.Where(k => k != b).ToArray();
                    string stem = Path.Combine(work, $"step{step}-drop{b}");
                    (index with { KeptBlocks = candidate, Decision = "greedy candidate" }).Save(stem + ".sls.json");
                    var r = PetlTrainer.Run(new TrainOptions(o.Model.Backbone, o.Data, loaded.Petl, stem + ".safetensors",
                        Epochs: o.AglpEpochs, WarmupEpochs: 0, Lr: o.AglpLr, BatchSize: o.BatchSize, Seed: o.Seed, EvalEvery: o.AglpEpochs,
                        TrainSplit: o.FitSplit, EvalSplit: o.ScoreSplit, Device: o.Device, Heads: o.Model.Heads, ConstantLr: true, Resume: false,
                        Index: stem + ".sls.json", InitFrom: current, AllowMismatch: true), cancellationToken: ct);
                    if (best is null || r.BestAccuracy > best.Value.Score) best = (b, r.BestAccuracy, r.Out);
                    progress?.Advance(PruneStage.Scoring, ++tried, $"step {step}: without block {b}: {r.BestAccuracy:P1}");
                }
                var (block, score, petl) = best!.Value;
                if (score < floor)
                {
                    steps.Add($"step {step}: best candidate (without block {block}) scores {score:P2} < floor {floor:P2}: stop");
                    reason = $"removing another block drops {o.ScoreSplit} under {o.AglpFraction:0.###} x the full model's";
                    break;
                }
                kept.Remove(block);
                current = petl;
                steps.Add($"step {step}: drop block {block}: {o.ScoreSplit} {score:P2} after {o.AglpEpochs} epochs of retraining");
            }
            progress?.Complete(PruneStage.Scoring);
            AtomicFile.Write(petlOut, s => { using var f = File.OpenRead(current); f.CopyTo(s); });
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        return (index with
        {
            KeptBlocks = kept.ToArray(), Steps = steps, Threshold = floor,
            Decision = $"greedy: kept {kept.Count} of {depth} blocks ({reason})",
            Petl = new FileFingerprint(petlOut, Inspection.InspectRunner.Sha256(petlOut)),
        }, petlOut);
    }
}
