using SlsPrune.Core;
using SlsPrune.Core.Pruning;

namespace SlsPrune.Cli.Tests.Toy;

/// <summary>A prune method defined outside the library, in one file: it keeps the first <c>keep_first</c> blocks. What
/// it declares here is all the command line, a manifest and the index need (<see cref="ToyMethodTests"/>).</summary>
public sealed class KeepFirstMethod : PruneMethod<KeepFirstOptions>
{
    public override string Name => "keep-first";

    public override string Description => "keep the first N blocks (a toy)";

    protected override void Validate(KeepFirstOptions o)
    {
        if (o.KeepFirst < 1) throw new SlsInputException("--keep-first", $"must be at least 1 (got {o.KeepFirst})");
    }

    protected override MethodOutput Run(PruneContext ctx, KeepFirstOptions o)
    {
        int keep = Math.Min(o.KeepFirst, ctx.Model.FullDepth);
        return new MethodOutput(ctx.Index with
        {
            Metric = "none",
            KeptBlocks = Enumerable.Range(1, keep).ToArray(),
            Decision = $"{o.Reason}: keep blocks 1..{keep}",
        });
    }
}

/// <summary>The toy's settings, declared once.</summary>
public sealed record KeepFirstOptions
{
    [Setting("blocks to keep from the input side")]
    public int KeepFirst { get; init; } = 2;

    [Setting("words for the index's decision")]
    public string Reason { get; init; } = "toy";
}
