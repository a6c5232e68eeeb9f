using System.Globalization;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Evaluation;
using SlsPrune.Core.IO;
using SlsPrune.Core.Models;
using SlsPrune.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>
/// <c>--method aglp</c>: adaptive greedy layer pruning (after Ficsor and Berend 2024). Start from the trained PETL
/// model; at each step try removing each remaining block, briefly retrain the adapters and head of that candidate
/// (from the current weights, constant lr, on the fit split), and score it on the score split; remove the best
/// candidate's block and continue from its retrained weights. Stop at the block budget or when the best candidate
/// scores under a fraction of the full model's score. Candidates live in memory; the final adapters are written
/// once, beside the index.
/// </summary>
public sealed class AglpMethod : PruneMethod<AglpOptions>
{
    public override string Name => "aglp";

    public override string Description => "adaptive greedy layer pruning with brief retraining of each candidate";

    public override Indexing.IIndexSectionFormat Section { get; } = new AglpSectionFormat();

    protected override IEnumerable<OutputTarget> Outputs(PruneOptions run, AglpOptions o) =>
        [new OutputTarget(o.PetlOut ?? PruneContext.DefaultPetlOut(run.Out), "--petl-out")];

    protected override IEnumerable<string?> Inputs(AglpOptions o) => [o.MatchIndex];

    protected override void Validate(AglpOptions o)
    {
        if (o.KeepBlocks is < 1) throw new SlsInputException("--keep-blocks", $"must be at least 1 (got {o.KeepBlocks})");
        if (o.KeepBlocks is not null && o.MatchIndex is not null) throw new SlsInputException("--keep-blocks",
            "give --keep-blocks or --match-index, not both");
        if (o.AglpEpochs <= 0) throw new SlsInputException("--aglp-epochs", "must be positive");
        if (!(o.AglpFraction > 0 && o.AglpFraction <= 1)) throw new SlsInputException("--aglp-fraction", "must be in (0, 1]");
        if (!(o.AglpLr > 0) || double.IsInfinity(o.AglpLr)) throw new SlsInputException("--aglp-lr", $"must be a positive number (got {o.AglpLr})");
    }

    protected override MethodOutput Run(PruneContext ctx, AglpOptions o)
    {
        var loaded = ctx.Model;
        var model = loaded.Model;
        int depth = loaded.FullDepth;
        int minBlocks = ctx.BlockBudget(o.KeepBlocks, o.MatchIndex) ?? 1;
        if (minBlocks < 1 || minBlocks > depth) throw new SlsInputException("--keep-blocks", $"must be within 1..{depth}");
        var scoreItems = ctx.Task.Read(o.ScoreSplit, model.NumClasses);
        var fitItems = ctx.Task.Read(o.FitSplit, model.NumClasses);
        int classes = (int)Math.Max(fitItems.Max(i => i.Label), scoreItems.Max(i => i.Label)) + 1;
        int batch = ctx.Options.Model.BatchSize;

        ctx.Progress?.Start(PruneStage.Features, $"score of the full model on {o.ScoreSplit}", scoreItems.Count);
        var (correct, seen) = Accuracy.Count(model, scoreItems, Preprocessor.For(model.Input), batch, ctx.Device, ctx.Advance(PruneStage.Features),
            ctx.Cancellation);
        ctx.Progress?.Complete(PruneStage.Features);
        double full = (double)correct / seen, floor = o.AglpFraction * full;

        Dictionary<string, Tensor> current;
        using (var petl = StateDictFile.Open(ctx.Options.Model.Petl!)) current = petl.Read();
        var kept = Enumerable.Range(1, depth).ToList();
        var steps = new List<string> { $"full model: {o.ScoreSplit} {full:P2}; floor {o.AglpFraction:0.###} x full = {floor:P2}" };
        string reason = $"reached the budget of {minBlocks} blocks";
        int maxCandidates = Enumerable.Range(minBlocks + 1, depth - minBlocks).Sum();
        ctx.Progress?.Start(PruneStage.Scoring, $"greedy search ({maxCandidates} candidates at most)", maxCandidates);
        var settings = new FitSettings(o.AglpEpochs, 0, o.AglpLr, 1e-5, 1e-4, batch, ctx.Options.Seed, o.AglpEpochs, ConstantLr: true);
        int tried = 0, bestCandidateEpoch = 0;
        try
        {
            for (int step = 1; kept.Count > minBlocks; step++)
            {
                (int Block, double Score, Dictionary<string, Tensor> Weights, int Epoch)? best = null;
                foreach (int b in kept)
                {
                    ctx.Cancellation.ThrowIfCancellationRequested();
                    var plan = new ModelPlan(depth, kept.Where(k => k != b).Select(k => k - 1).ToArray());
                    var (score, weights, epoch) = Retrain(ctx, plan, classes, current, fitItems, scoreItems, settings);
                    if (best is null || score > best.Value.Score)
                    {
                        if (best is { } previous) Dispose(previous.Weights);
                        best = (b, score, weights, epoch);
                    }
                    else Dispose(weights);
                    ctx.Progress?.Advance(PruneStage.Scoring, ++tried, $"step {step}: without block {b}: {score:P1}");
                }
                var (block, bestScore, bestWeights, bestEpoch) = best!.Value;
                if (bestScore < floor)
                {
                    Dispose(bestWeights);
                    steps.Add($"step {step}: best candidate (without block {block}) scores {bestScore:P2} < floor {floor:P2}: stop");
                    reason = $"removing another block drops {o.ScoreSplit} under {o.AglpFraction:0.###} x the full model's";
                    break;
                }
                kept.Remove(block);
                Dispose(current);
                current = bestWeights;
                bestCandidateEpoch = bestEpoch;
                steps.Add($"step {step}: drop block {block}: {o.ScoreSplit} {bestScore:P2} after {o.AglpEpochs} epochs of retraining");
            }
            ctx.Progress?.Complete(PruneStage.Scoring);
            ctx.Cancellation.ThrowIfCancellationRequested();
            string petlOut = Path.GetFullPath(o.PetlOut ?? ctx.DefaultPetlOut());
            if (kept.Count == depth)
            {
                AtomicFile.Write(petlOut, s => { using var f = File.OpenRead(ctx.Options.Model.Petl!); f.CopyTo(s); });
            }
            else
            {
                var inv = CultureInfo.InvariantCulture;
                PetlFile.Write(petlOut, current, loaded.Petl, classes, kept.Count, new Dictionary<string, string>
                {
                    ["epoch"] = (bestCandidateEpoch + 1).ToString(inv),
                    ["eval_split"] = o.ScoreSplit,
                    ["backbone_sha256"] = loaded.BackboneFile.Sha256,
                });
            }
            var index = ctx.Index with
            {
                Metric = "retrained-accuracy",
                KeptBlocks = kept.ToArray(),
                Section = new AglpSection { Threshold = floor, Steps = steps },
                Decision = $"greedy: kept {kept.Count} of {depth} blocks ({reason})",
                Petl = FileHash.Fingerprint(petlOut),
            };
            return new MethodOutput(index, petlOut);
        }
        finally
        {
            Dispose(current);
        }
    }

    /// <summary>One candidate: the kept blocks with the current adapters, retrained briefly; its best score on the
    /// score split and its adapters then (named by block as in the full backbone).</summary>
    private static (double Score, Dictionary<string, Tensor> Weights, int Epoch) Retrain(PruneContext ctx, ModelPlan plan, int classes,
        Dictionary<string, Tensor> current, IReadOnlyList<Data.LabelledImage> fit, IReadOnlyList<Data.LabelledImage> score, FitSettings settings)
    {
        torch.manual_seed(settings.Seed);
        using var built = ModelFactory.BuildTrainable(ctx.Options.Model, new TrainableRequest(ctx.Model.Petl, classes, InitTensors: current), plan);
        built.Model.to(ctx.Device);
        Dictionary<string, Tensor>? best = null;
        var result = PetlFit.Run(built.Model, fit, score, settings, ctx.Device,
            new FitHooks(OnBest: (_, _) => { if (best is not null) Dispose(best); best = PetlFit.TaskTensors(built.Model, plan); }),
            cancellationToken: ctx.Cancellation);
        return (result.Best, best ?? PetlFit.TaskTensors(built.Model, plan), result.BestEpoch);
    }

    private static void Dispose(Dictionary<string, Tensor> weights)
    {
        foreach (var t in weights.Values) t.Dispose();
    }
}
