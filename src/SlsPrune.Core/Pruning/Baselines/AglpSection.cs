using SlsPrune.Core.Indexing;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>aglp's section: the score floor the search stopped at (<c>threshold</c>: the fraction of the full model's
/// score) and the search, step by step.</summary>
public sealed record AglpSection : IIndexSection
{
    public double? Threshold { get; init; }

    public required IReadOnlyList<string> Steps { get; init; }

    public IEnumerable<string> Summary(PruningIndex index) => Steps;
}

/// <summary>Reads, writes and checks <see cref="AglpSection"/>.</summary>
public sealed class AglpSectionFormat : IndexSectionFormat<AglpSection>
{
    public override IReadOnlyCollection<string> LegacyFields => ["threshold", "steps"];

    protected override void Check(AglpSection s, SectionSource at)
    {
        at.Need(s.Steps, "steps");
        if (s.Steps.Any(x => x is null)) throw at.Refuse($"field '{at.Field("steps")}' has a null entry");
    }
}
