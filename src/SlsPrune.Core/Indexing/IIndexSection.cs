namespace SlsPrune.Core.Indexing;

/// <summary>
/// A prune method's own part of a pruning index (<see cref="PruningIndex.Section"/>), written under the method's name
/// with its own <c>version</c> by the method's <see cref="IIndexSectionFormat"/>. What the method recorded beyond the
/// common fields is said through here, so no reader of an index tests which method wrote it.
/// </summary>
public interface IIndexSection
{
    /// <summary>Lines for the prune command's text output and a report's per-task method details (what the method
    /// recorded beyond the decision: an alpha sweep, the steps of a search, ...).</summary>
    IEnumerable<string> Summary(PruningIndex index) => [];

    /// <summary>The per-layer table the prune command prints; null where the method has none.</summary>
    SectionTable? Table(PruningIndex index) => null;

    /// <summary>The score per layer a figure draws; null where the method scored no layers (or not all of them).</summary>
    LayerCurve? Curve(PruningIndex index) => null;
}
