using System.Text.Json;
using System.Text.RegularExpressions;

namespace SlsPrune.Core;

/// <summary>A <see cref="JsonException"/> from the strict readers (index, manifest, results) in the user's words: the
/// field's path as the file spells it and the kind of value it needs, never a .NET type name.</summary>
public static partial class JsonErrors
{
    /// <summary>"field 'tasks[0].settings.epochs' must be an integer", "field 'foo' is not known", or for text that is
    /// not JSON, where it stops being JSON.</summary>
    /// <param name="lineOf">the line of the file a JSON path is on, when the reader's own position is not the file's (YAML), or null.</param>
    public static string Describe(JsonException e, Func<string, int?>? lineOf = null)
    {
        string path = Field(e.Path);
        string message = e.Message;
        string at = lineOf?.Invoke(e.Path ?? "$") is int yamlLine ? $" (line {yamlLine})" : "";
        if (Unmapped().Match(message) is { Success: true } u)
        {
            string name = u.Groups[1].Value;
            string parent = path.Length == 0 ? "" : path.EndsWith(name, StringComparison.Ordinal) ? path[..^name.Length].TrimEnd('.') : path;
            return parent.Length == 0 ? $"field '{name}' is not known{at}" : $"field '{parent}.{name}' is not known{at}";
        }
        if (Missing().Match(message) is { Success: true } m)
            return $"{(path.Length == 0 ? "the top level" : $"field '{path}'")} lacks "
                + $"{m.Groups[1].Value.Replace(", ", "', '", StringComparison.Ordinal)}{at}";
        if (Converted().Match(message) is { Success: true } c)
        {
            // a positional record's parameter: the message names the record, the inner exception the value's type
            string kind = Kind(c.Groups[1].Value);
            string inner = e.InnerException?.Message ?? "";
            if (InnerType().Match(inner) is { Success: true } t) kind = Kind("System." + t.Groups[1].Value);
            else if (kind == "an object" && InnerToken().Match(inner) is { Success: true } k) kind = k.Groups[1].Value switch
            {
                "number" => "a number",
                "boolean" => "true or false",
                "string" => "a string",
                _ => kind
            };
            return $"field '{(path.Length == 0 ? "(top level)" : path)}' must be {kind}{at}";
        }
        // a syntax error: the reader's position in the text
        string position = e.LineNumber is long line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
        string what = message.Split(" Path: ", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd('.');
        // System.Text.Json's own wording where it speaks of its settings and buffers, in the file's terms
        if (Depth().Match(what) is { Success: true } d) what = $"objects and lists nest deeper than {d.Groups[1].Value} levels";
        else if (what.Contains("isFinalBlock", StringComparison.Ordinal)) what = "the text ends in the middle of a value";
        return $"not valid JSON{position}: {TypeName().Replace(what, "a value")}";
    }

    /// <summary>"$.tasks[0].settings.epochs" as "tasks[0].settings.epochs"; "$['odd key']" as "odd key".</summary>
    public static string Field(string? jsonPath)
    {
        if (jsonPath is null or "$") return "";
        string p = jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');
        return Quoted().Replace(p, "$1").TrimStart('.');
    }

    private static string Kind(string type)
    {
        string t = type.Replace("System.Nullable`1[", "", StringComparison.Ordinal).TrimEnd(']');
        if (t.Contains("IReadOnlyList", StringComparison.Ordinal) || t.Contains("List`1", StringComparison.Ordinal) || t.EndsWith("[]",
            StringComparison.Ordinal))
            return "a list";
        if (t.Contains("Dictionary", StringComparison.Ordinal)) return "an object";
        return t switch
        {
            "System.Int32" or "System.Int64" or "System.Int16" or "System.Byte" or "System.UInt32" or "System.UInt64" => "an integer",
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            "System.String" => "a string",
            "System.DateTimeOffset" or "System.DateTime" => "a date and time (ISO 8601)",
            _ => "an object",
        };
    }

    [GeneratedRegex(@"The JSON property '([^']*)' could not be mapped")]
    private static partial Regex Unmapped();

    [GeneratedRegex(@"missing required properties including: (.*)\.( Path:|$)")]
    private static partial Regex Missing();

    [GeneratedRegex(@"could not be converted to ([^ ]+)\.")]
    private static partial Regex Converted();

    [GeneratedRegex(@"out of bounds for an? ([A-Za-z0-9]+)\.")]
    private static partial Regex InnerType();

    [GeneratedRegex(@"token type '[A-Za-z]+' as an? (number|boolean|string)")]
    private static partial Regex InnerToken();

    [GeneratedRegex(@"\['([^']*)'\]")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"System\.[A-Za-z0-9_.`\[\]]+")]
    private static partial Regex TypeName();

    [GeneratedRegex(@"maximum configured depth of (\d+)")]
    private static partial Regex Depth();
}
