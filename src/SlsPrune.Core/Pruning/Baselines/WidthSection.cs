using SlsPrune.Core.Indexing;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>The section of the width methods (depgraph, spa): the fraction of heads and MLP units pruned in every
/// block, and what storing every pruned backbone tensor per task would take (the index stores kept-index lists,
/// the common <c>width</c>, because the backbone itself is untouched).</summary>
public sealed record WidthSection : IIndexSection
{
    public required double Ratio { get; init; }

    public long? PrunedTensorBytes { get; init; }

    public IEnumerable<string> Summary(PruningIndex index) => PrunedTensorBytes is long b
        ? [string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The index stores kept-index lists; storing the pruned tensors "
            + $"instead would take {b:N0} bytes per task")]
        : [];
}

/// <summary>Reads, writes and checks <see cref="WidthSection"/>.</summary>
public sealed class WidthSectionFormat : IndexSectionFormat<WidthSection>
{
    public override IReadOnlyCollection<string> LegacyFields => ["ratio", "pruned_tensor_bytes"];

    protected override void Check(WidthSection s, SectionSource at)
    {
        if (!(s.Ratio >= 0 && s.Ratio < 1)) throw at.Refuse($"field '{at.Field("ratio")}' is {s.Ratio}, not a fraction in [0, 1)");
        if (s.PrunedTensorBytes is < 0) throw at.Refuse($"field '{at.Field("pruned_tensor_bytes")}' is negative");
    }
}
