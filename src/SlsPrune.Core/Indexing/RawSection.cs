using System.Text.Json.Nodes;

namespace SlsPrune.Core.Indexing;

/// <summary>The section of a method this tool does not know (a plug-in's, not registered here): kept as it was read,
/// so the index still loads, builds its model and writes back whole.</summary>
public sealed record RawSection(JsonObject Json) : IIndexSection;
