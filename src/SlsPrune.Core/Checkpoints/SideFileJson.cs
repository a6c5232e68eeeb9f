using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

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
        RefuseDuplicateKeys(file, text);
        return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth }) as JsonObject
            ?? throw new SlsInputException(file, "is not a JSON object");
    }

    /// <summary>Walks the tokens once, keeping each open object's keys; the first key seen twice is refused with its
    /// path (<c>size.height</c>).</summary>
    private static void RefuseDuplicateKeys(string file, string text)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { MaxDepth = MaxDepth });
        var open = new Stack<(HashSet<string>? Keys, string Path)>();
        string? pending = null; // the key whose value comes next
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    string path = Child(open, pending);
                    open.Push((reader.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : null, path));
                    pending = null;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    open.Pop();
                    break;
                case JsonTokenType.PropertyName:
                    string key = reader.GetString()!;
                    var (keys, parent) = open.Peek();
                    if (!keys!.Add(key))
                        throw new SlsInputException(file, $"key '{Printable.Escape(parent.Length == 0 ? key : parent + "." + key)}' appears twice");
                    pending = key;
                    break;
                default:
                    pending = null;
                    break;
            }
        }
    }

    private static string Child(Stack<(HashSet<string>? Keys, string Path)> open, string? key)
    {
        if (open.Count == 0) return "";
        string parent = open.Peek().Path;
        string name = key ?? "[]";
        return parent.Length == 0 ? name : key is null ? parent + name : parent + "." + name;
    }
}
