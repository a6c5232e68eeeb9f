namespace SlsPrune.Core.Indexing;

/// <summary>A table of text a method's section gives (<see cref="IIndexSection.Table"/>): column titles, and rows
/// of as many cells. <see cref="RightAligned"/>: the columns whose cells are numbers.</summary>
public sealed record SectionTable(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows, IReadOnlySet<int> RightAligned)
{
    /// <summary>The cell a block column shows for a pruned block (drawn greyed where the output can).</summary>
    public const string Pruned = "pruned";

    /// <summary>The cell a block column shows for a kept block.</summary>
    public const string Kept = "kept";
}
