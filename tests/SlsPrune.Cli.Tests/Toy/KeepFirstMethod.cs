using SlsPrune.Core;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.Pruning;

namespace SlsPrune.Cli.Tests.Toy;

/// <summary>A prune method defined outside the library, in one file: it keeps the first <c>keep_first</c> blocks. What
/// it declares here is all the command line, a manifest, the index (its own section) and the reports need
/// (<see cref="ToyMethodTests"/>).</summary>
public sealed class KeepFirstMethod : PruneMethod<KeepFirstOptions>
{
    public override string Name => "keep-first";

    public override string Description => "keep the first N blocks (a toy)";

    public override IIndexSectionFormat Section { get; } = new KeepFirstSectionFormat();

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
            Section = new KeepFirstSection { Asked = o.KeepFirst },
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

/// <summary>The toy's own part of the index, under <c>keep-first</c>: how many blocks were asked for.</summary>
public sealed record KeepFirstSection : IIndexSection
{
    public required int Asked { get; init; }

    public IEnumerable<string> Summary(PruningIndex index) => [$"keep-first: asked for {Asked} blocks, kept {index.KeptBlocks.Count}"];
}

/// <summary>Reads, writes and checks <see cref="KeepFirstSection"/>.</summary>
public sealed class KeepFirstSectionFormat : IndexSectionFormat<KeepFirstSection>
{
    protected override void Check(KeepFirstSection s, SectionSource at)
    {
        if (s.Asked < 1) throw at.Refuse($"field '{at.Field("asked")}' must be at least 1 (got {s.Asked})");
    }
}
