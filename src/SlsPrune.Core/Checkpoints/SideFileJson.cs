using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Checkpoints;

/// <summary>
/// A JSON side file (<c>config.json</c>, <c>preprocessor_config.json</c>, <c>adapter_config.json</c>) as one JSON
/// object. A key given twice in one object is refused by name: Python's <c>json</c> silently keeps the last one, so
/// the two readers would disagree on what the file says (and <see cref="JsonObject"/> would throw on first use).
/// </summary>
public static class SideFileJson
{
    /// <summary>The deepest nesting read; a config nests a few levels.</summary>
    public const int MaxDepth = 64;

    /// <exception cref="SlsInputException">naming <paramref name="file"/> for a key given twice or a value that is not an object.</exception>
    /// <exception cref="JsonException">for text that is not JSON (the caller words it).</exception>
    public static JsonObject Parse(string file, string text)
    {
        JsonKeys.RefuseDuplicates(file, text, MaxDepth);
        return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth }) as JsonObject
            ?? throw new SlsInputException(file, "is not a JSON object");
    }
}
