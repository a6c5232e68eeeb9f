using System.Text;
using System.Text.Json;

namespace SlsPrune.Core.IO;

/// <summary>A JSON text whose objects give a key twice is refused by the key's path: Python's <c>json</c> keeps the last
/// value, System.Text.Json's readers the last or throw, so two readers would disagree on what the file says (an index
/// with <c>kept_blocks</c> twice, a manifest with <c>backbone</c> twice, a config).</summary>
public static class JsonKeys
{
    /// <summary>Walks the tokens once, keeping each open object's keys; the first key seen twice is refused with its
    /// path (<c>size.height</c>).</summary>
    public static void RefuseDuplicates(string file, string text, int maxDepth = 64, bool comments = false)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions
        {
            MaxDepth = maxDepth, CommentHandling = comments
            ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow, AllowTrailingCommas = comments
        });
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
