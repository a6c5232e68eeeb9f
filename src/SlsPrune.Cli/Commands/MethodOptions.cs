using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using SlsPrune.Core;
using SlsPrune.Core.Pruning;

namespace SlsPrune.Cli.Commands;

/// <summary>The prune methods' options of <c>sls prune</c>, made from the settings each method's options record declares
/// (<see cref="SettingAttribute"/>): one option per setting name (methods that share a name share the option), its type
/// from the property, its help and default from the declaration, its values from an enum. A new method's settings
/// become options here without an edit.</summary>
public static class MethodOptions
{
    /// <summary>Each option with the settings it yields from a parse (none when not given).</summary>
    public static List<(Option Option, Func<ParseResult, IEnumerable<(string Key, JsonNode Value)>> Value)> Create()
    {
        var all = PruneMethods.All.SelectMany(m => m.Settings.Where(s => !s.Hidden).Select(s => (Method: m.Name, Setting: s)));
        var options = new List<(Option, Func<ParseResult, IEnumerable<(string, JsonNode)>>)>();
        foreach (var group in all.GroupBy(x => x.Setting.Key, StringComparer.Ordinal))
        {
            var s = group.First().Setting;
            string description = string.Join("; ", group.GroupBy(x => (x.Setting.Help, x.Setting.DefaultText))
                .Select(g => $"{string.Join(", ", g.Select(x => x.Method))}: {g.Key.Help}{(g.Key.DefaultText is { } d ? $" (default {d})" : "")}"));
            options.Add(group.FirstOrDefault(x => x.Setting.ListInto is not null).Setting is { } list ? ListOption(list, description)
                : s.IsPath ? Text(s, description, Path.GetFullPath)
                : s.Choices is { } choices ? Choice(s, description, choices)
                : s.Type == typeof(int) ? Typed<int>(s, description)
                : s.Type == typeof(double) ? Typed<double>(s, description)
                : s.Type == typeof(bool) ? Typed<bool>(s, description)
                : s.Type == typeof(string) ? Text(s, description, t => t)
                : throw new InvalidOperationException($"setting '{s.Key}' has a type the command line does not take ({s.Type.Name})"));
        }
        return options;
    }

    private static (Option, Func<ParseResult, IEnumerable<(string, JsonNode)>>) Typed<T>(SettingInfo s, string description) where T : struct
    {
        var o = new Option<T?>(s.Option) { Description = description };
        return (o, p => p.GetValue(o) is T v ? [(s.Key, (JsonNode)JsonValue.Create(v)!)] : []);
    }

    private static (Option, Func<ParseResult, IEnumerable<(string, JsonNode)>>) Text(SettingInfo s, string description, Func<string, string> map)
    {
        var o = new Option<string?>(s.Option) { Description = description };
        return (o, p => p.GetValue(o) is { } v ? [(s.Key, JsonValue.Create(map(v)))] : []);
    }

    private static (Option, Func<ParseResult, IEnumerable<(string, JsonNode)>>) Choice(SettingInfo s, string description,
        IReadOnlyList<string> choices)
    {
        var o = new Option<string?>(s.Option) { Description = description };
        o.AcceptOnlyFromAmong([.. choices]);
        return (o, p => p.GetValue(o) is { } v ? [(s.Key, JsonValue.Create(v))] : []);
    }

    /// <summary>One number or a comma-separated list of positive numbers: the first into the setting, the whole list
    /// (when longer) into <see cref="SettingInfo.ListInto"/>.</summary>
    private static (Option, Func<ParseResult, IEnumerable<(string, JsonNode)>>) ListOption(SettingInfo s, string description)
    {
        var o = new Option<string?>(s.Option) { Description = description };
        return (o, Read);

        IEnumerable<(string, JsonNode)> Read(ParseResult p)
        {
            if (p.GetValue(o) is not { } text) return [];
            var values = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double a) && a > 0 && double.IsFinite(a)
                    ? a : throw new SlsInputException(s.Option, $"'{t}' is not a positive number"))
                .ToArray();
            if (values.Length == 0) throw new SlsInputException(s.Option, "give one or more positive numbers");
            var given = new List<(string, JsonNode)> { (s.Key, JsonValue.Create(values[0])) };
            if (values.Length > 1) given.Add((s.ListInto!, new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create(v))])));
            return given;
        }
    }
}
