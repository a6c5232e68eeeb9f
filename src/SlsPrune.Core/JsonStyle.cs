using System.Text.Json;
using System.Text.Json.Serialization;

namespace SlsPrune.Core;

/// <summary>The one JSON style of every <c>--json</c> document and of <c>sls report --format json</c>: snake_case,
/// indented.</summary>
public static class JsonStyle
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // text as written: ' " < > & and non-ASCII letters stay themselves (the default encoder writes \u0027 for '),
        // control characters are still escaped; the output is a JSON document, never embedded in HTML
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
