using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SlsPrune.Core.Batch;

/// <summary>A YAML document as JSON, so a YAML manifest goes through the same (strict) reader as a JSON one.
/// Plain scalars follow YAML 1.2's core schema (null, booleans, integers, floats, else strings); quoted
/// scalars are always strings. Anchors and aliases are resolved; a key given twice is refused; tags are not
/// honoured. Built from the parser's events without recursion: nesting deeper than <see cref="MaxDepth"/>, an
/// alias inside its own anchor, and aliases that expand past <see cref="MaxNodes"/> nodes (a "billion laughs"
/// file) are refused with the line they are on.</summary>
public static class YamlToJson
{
    /// <summary>The deepest nesting read: a manifest nests four levels.</summary>
    public const int MaxDepth = 100;

    /// <summary>The most nodes a document may hold with its aliases expanded.</summary>
    public const int MaxNodes = 100_000;

    private sealed class Open(JsonNode node, AnchorName anchor, long firstNode)
    {
        public JsonNode Node { get; } = node;
        public AnchorName Anchor { get; } = anchor;
        public long FirstNode { get; } = firstNode;
        public string? Key { get; set; }
    }

    /// <exception cref="YamlException">for text that is not YAML, or one of the refusals above.</exception>
    public static JsonNode? Convert(string yaml) => Convert(yaml, out _);

    /// <param name="lineOf">the line (1-based) a JSON path such as <c>$.tasks[0].settings.epochs</c> is on: the deepest node of the
    /// path that exists (a null value: its mapping's line).</param>
    public static JsonNode? Convert(string yaml, out Func<string, int?> lineOf)
    {
        var lines = new Dictionary<JsonNode, int>(ReferenceEqualityComparer.Instance);
        var parser = new Parser(new StringReader(yaml));
        var anchors = new Dictionary<string, (JsonNode? Node, long Size)>(StringComparer.Ordinal);
        var opening = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<Open>();
        JsonNode? root = null;
        long nodes = 0;
        int documents = 0;
        bool rootSet = false;

        void Place(JsonNode? node, ParsingEvent e)
        {
            if (node is not null && e is YamlDotNet.Core.Events.Scalar or AnchorAlias) lines.TryAdd(node, (int)e.Start.Line);
            if (stack.Count == 0)
            {
                root = node;
                rootSet = true;
                return;
            }
            var parent = stack.Peek();
            if (parent.Node is JsonArray array)
            {
                array.Add(node);
                return;
            }
            var map = (JsonObject)parent.Node;
            if (parent.Key is null)
            {
                if (e is not Scalar { Value: { } key }) throw new YamlException(e.Start, e.End, "mapping keys must be plain strings");
                if (map.ContainsKey(key)) throw new YamlException(e.Start, e.End, $"key '{key}' is given twice");
                parent.Key = key;
                return;
            }
            map[parent.Key] = node;
            parent.Key = null;
        }

        void Count(ParsingEvent e, long n)
        {
            nodes += n;
            if (nodes > MaxNodes) throw new YamlException(e.Start, e.End, $"the document holds more than {MaxNodes} nodes with its aliases "
                + $"expanded (a \"billion laughs\" file?)");
        }

        parser.Consume<StreamStart>();
        while (!parser.TryConsume<StreamEnd>(out _))
        {
            var e = parser.Consume<ParsingEvent>();
            switch (e)
            {
                case DocumentStart:
                    if (++documents > 1) throw new YamlException(e.Start, e.End, "a manifest is one YAML document, this file has more");
                    break;
                case DocumentEnd:
                    break;
                case Scalar s:
                    Count(e, 1);
                    var value = Scalar(s);
                    if (!s.Anchor.IsEmpty) anchors[s.Anchor.Value] = (value, 1);
                    Place(value, e);
                    break;
                case AnchorAlias a:
                    if (opening.Contains(a.Value.Value)) throw new YamlException(e.Start, e.End,
                        $"alias *{a.Value.Value} is inside its own anchor (a node that contains itself)");
                    if (!anchors.TryGetValue(a.Value.Value, out var target)) throw new YamlException(e.Start, e.End,
                        $"alias *{a.Value.Value} names no anchor before it");
                    Count(e, target.Size);
                    Place(target.Node?.DeepClone(), e);
                    break;
                case NodeEvent start and (MappingStart or SequenceStart):
                    if (stack.Count >= MaxDepth) throw new YamlException(e.Start, e.End, $"the document nests more than {MaxDepth} levels deep");
                    Count(e, 1);
                    JsonNode container = start is MappingStart ? new JsonObject() : new JsonArray();
                    if (stack.Count > 0 && stack.Peek() is { Node: JsonObject, Key: null })
                        throw new YamlException(e.Start, e.End, "mapping keys must be plain strings");
                    if (!start.Anchor.IsEmpty) opening.Add(start.Anchor.Value);
                    lines[container] = (int)e.Start.Line;
                    stack.Push(new Open(container, start.Anchor, nodes));
                    break;
                case MappingEnd or SequenceEnd:
                    var done = stack.Pop();
                    if (!done.Anchor.IsEmpty)
                    {
                        opening.Remove(done.Anchor.Value);
                        anchors[done.Anchor.Value] = (done.Node, nodes - done.FirstNode + 1);
                    }
                    Place(done.Node, e);
                    break;
                default:
                    throw new YamlException(e.Start, e.End, $"unsupported YAML event {e.GetType().Name}");
            }
        }
        var top = rootSet ? root : null;
        lineOf = path => LineOf(top, path, lines);
        return top;
    }

    private static int? LineOf(JsonNode? root, string path, Dictionary<JsonNode, int> lines)
    {
        JsonNode? node = root;
        int? line = node is not null && lines.TryGetValue(node, out int l0) ? l0 : null;
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(path, @"\.([^.\[]+)|\['([^']*)'\]|\[(\d+)\]"))
        {
            JsonNode? next = null;
            if (m.Groups[3].Success && node is JsonArray a && int.TryParse(m.Groups[3].Value, CultureInfo.InvariantCulture, out int i)
                && i < a.Count) next = a[i];
            else if (!m.Groups[3].Success && node is JsonObject o) o.TryGetPropertyValue(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value,
                out next);
            if (next is null) break;
            node = next;
            if (lines.TryGetValue(node, out int l)) line = l;
        }
        return line;
    }

    private static JsonNode? Scalar(Scalar s)
    {
        string v = s.Value ?? "";
        if (s.Style is not (ScalarStyle.Plain or ScalarStyle.Any)) return JsonValue.Create(v);
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long i)) return JsonValue.Create(i);
        if (IsFloat(v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            return double.IsFinite(d) ? JsonValue.Create(d) : throw new YamlException(s.Start, s.End,
                $"the number {v} is beyond the range of a double");
        return JsonValue.Create(v);
    }

    /// <summary>The core schema's float form: [-+]? (digits [. digits?] | . digits) ([eE] [-+]? digits)?.</summary>
    private static bool IsFloat(string v) =>
        System.Text.RegularExpressions.Regex.IsMatch(v, @"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$");
}
