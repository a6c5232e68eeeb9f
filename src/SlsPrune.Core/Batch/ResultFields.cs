using System.Text.Json;

namespace SlsPrune.Core.Batch;

/// <summary>The fields of a batch result file (<c>results/NAME.json</c>) read by name: a field a report needs that is
/// missing, null or of the wrong kind is refused naming the file and the field (<c>full.top1</c>); an optional one
/// that is null (a stage that did not run) reads as missing.</summary>
internal sealed class ResultFields(string file)
{
    public SlsInputException Wrong(string field, string kind) => new(file, $"not a batch result: field '{field}' must be {kind}");

    private static string Path(string at, string name) => at.Length == 0 ? name : at + "." + name;

    /// <summary>The value, or null when it is absent or JSON null; a required field refused then.</summary>
    private JsonElement? Get(JsonElement o, string name, string at, bool required)
    {
        if (o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null) return v;
        return required ? throw new SlsInputException(file, $"not a batch result: field '{Path(at, name)}' is missing or null") : null;
    }

    public JsonElement? Object(JsonElement o, string name, string at, bool required = false) =>
        Get(o, name, at, required) is JsonElement v ? v.ValueKind == JsonValueKind.Object ? v : throw Wrong(Path(at, name), "an object") : null;

    public JsonElement? Array(JsonElement o, string name, string at) =>
        Get(o, name, at, false) is JsonElement v ? v.ValueKind == JsonValueKind.Array ? v : throw Wrong(Path(at, name), "a list") : null;

    public string? String(JsonElement o, string name, string at, bool required = false) =>
        Get(o, name, at, required) is JsonElement v ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Wrong(Path(at, name), "a string")
            : null;

    /// <summary>A finite number, within <paramref name="min"/>..<paramref name="max"/> where given (a top-1 a fraction, a
    /// time or a speed not negative): a value out of its range would print as Infinity, or not print as JSON at all.</summary>
    public double? Number(JsonElement o, string name, string at, bool required = false, double min = double.MinValue,
        double max = double.MaxValue) =>
        Get(o, name, at, required) is JsonElement v ? v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d)
            ? d >= min && d <= max ? d : throw Wrong(Path(at, name), Range(min, max))
            : throw Wrong(Path(at, name), "a number") : null;

    private static string Range(double min, double max) => max == double.MaxValue ? $"a number of {Hyperparameter.Text(min)} or more"
        : $"a number within {Hyperparameter.Text(min)}..{Hyperparameter.Text(max)}";

    /// <summary>A list of strings, or null when absent.</summary>
    public IReadOnlyList<string>? Strings(JsonElement o, string name, string at) => Array(o, name, at) is JsonElement a
            ? a.EnumerateArray().Select((x, i) => x.ValueKind == JsonValueKind.String ? x.GetString()! : throw Wrong($"{Path(at, name)}[{i}]",
                "a string")).ToArray()
            : null;

    /// <summary>An integer, at least <paramref name="min"/> where given (FLOPs and bytes not negative).</summary>
    public long? Integer(JsonElement o, string name, string at, bool required = false, long min = long.MinValue) =>
        Get(o, name, at, required) is JsonElement v ? v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long i)
            ? i >= min ? i : throw Wrong(Path(at, name), $"an integer of {min} or more")
            : throw Wrong(Path(at, name), "an integer") : null;
}
