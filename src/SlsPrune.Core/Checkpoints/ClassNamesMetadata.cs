using System.Text.Json;

namespace SlsPrune.Core.Checkpoints;

/// <summary>The <c>class_names</c> entry that <c>sls train</c> writes into a PETL file's metadata and <c>sls export</c> into
/// an export's (a JSON list of names): they decide whether data fits the head, so a list that is unreadable or does not
/// match the head's rows is refused.</summary>
public static class ClassNamesMetadata
{
    public const string Key = "class_names";

    /// <summary>The names, or null where the metadata has none.</summary>
    /// <param name="rows">the head's rows the list must match (null: not checked here).</param>
    /// <param name="rowsField">how the head's rows are named in the error (<c>head.weight</c>, <c>'classes'</c>).</param>
    /// <exception cref="SlsInputException">naming <paramref name="file"/>.</exception>
    public static string[]? Read(IReadOnlyDictionary<string, string> metadata, string file, int? rows = null, string rowsField = "head.weight")
    {
        if (!metadata.TryGetValue(Key, out var json)) return null;
        string[]? names;
        try
        {
            names = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException)
        {
            names = null;
        }
        if (names is null || names.Any(n => n is null)) throw new SlsInputException(file, $"metadata '{Key}' is not a JSON list of names");
        if (rows is int n && names.Length != n) throw new SlsInputException(file, $"metadata '{Key}' names {names.Length} classes but {rowsField} "
            + $"has {n} rows");
        return names;
    }
}
