using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SlsPrune.Core.Checkpoints;

/// <summary>The fields of <c>adapter_config.json</c> that decide what is merged, checked by name.</summary>
internal sealed class PeftConfig
{
    /// <summary>A pattern match that takes longer is refused (catastrophic backtracking).</summary>
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The largest rank, alpha and layer number a config may give (a ViT's widths are far below).</summary>
    private const int MaxRank = 1 << 16, MaxLayer = 1 << 16;

    private const double MaxAlpha = 1e6;

    private readonly string _file;
    private readonly string? _regex;
    private readonly bool _allLinear;
    private readonly IReadOnlyList<(string Key, int Value)> _rankPattern;
    private readonly IReadOnlyList<(string Key, double Value)> _alphaPattern;
    private readonly IReadOnlyList<int>? _layers;
    private readonly IReadOnlyList<string>? _layersPattern;
    private readonly string? _excludeRegex;
    private readonly IReadOnlyList<string> _exclude = [];

    public PeftConfig(JsonObject c, string file)
    {
        _file = file;
        string type = Str(c, "peft_type") ?? throw new SlsInputException(file, "has no peft_type; a PEFT LoRA adapter says \"LORA\"");
        if (type != "LORA") throw new SlsInputException(file, $"peft_type '{Printable.Escape(type)}' is not LORA; only LoRA adapters are read");
        if (Bool(c, "use_dora")) throw new SlsInputException(file, "use_dora is true: DoRA does not merge as plain LoRA and is not supported");
        if (Bool(c, "fan_in_fan_out")) throw new SlsInputException(file, "fan_in_fan_out is true (GPT-2's Conv1D layout); the ViTs sls reads have "
            + "plain linear layers");
        if (Bool(c, "lora_bias")) throw new SlsInputException(file, "lora_bias is true: LoRA biases are not supported");
        string bias = Str(c, "bias") ?? "none";
        if (bias != "none") throw new SlsInputException(file, $"bias '{Printable.Escape(bias)}' trains the layers' biases; only bias \"none\" is "
            + $"supported");
        foreach (var f in new[] { "layer_replication", "target_parameters", "trainable_token_indices" })
            if (c[f] is JsonNode n && !(n is JsonArray { Count: 0 }) && !(n is JsonObject { Count: 0 }))
                throw new SlsInputException(file, $"{f} is set; sls cannot honour it");
        Rank0 = Int(c, "r") ?? 8;
        if (Rank0 is <= 0 or > MaxRank) throw new SlsInputException(file, $"r {Rank0} is not an integer within 1..{MaxRank}");
        Alpha0 = Num(c, "lora_alpha") ?? 8;
        if (!(Alpha0 > 0 && Alpha0 <= MaxAlpha)) throw new SlsInputException(file,
            $"lora_alpha {Alpha0.ToString("R", CultureInfo.InvariantCulture)} is not a number within (0, {MaxAlpha}]");
        RsLora = Bool(c, "use_rslora");
        switch (c["target_modules"])
        {
            case JsonValue v when v.TryGetValue(out string? s):
                if (string.Equals(s, "all-linear", StringComparison.OrdinalIgnoreCase)) _allLinear = true;
                else _regex = CheckRegex(s, "target_modules");
                break;
            case JsonArray arr:
                ListTargets = arr.Select(n => n is JsonValue jv && jv.TryGetValue(out string? s) ? s : throw new SlsInputException(file,
                    "target_modules holds a non-string entry")).ToList();
                if (ListTargets.Count == 0) throw new SlsInputException(file, "target_modules is empty");
                break;
            default:
                throw new SlsInputException(file, "target_modules must be a list of module names or a regex string");
        }
        switch (c["exclude_modules"])
        {
            case null: break;
            case JsonValue v when v.TryGetValue(out string? s): _excludeRegex = CheckRegex(s, "exclude_modules"); break;
            case JsonArray arr: _exclude = Strings(arr, "exclude_modules"); break;
            default: throw new SlsInputException(file, "exclude_modules must be a list or a regex string");
        }
        ModulesToSave = c["modules_to_save"] switch
        {
            null => [],
            JsonArray arr => Strings(arr, "modules_to_save"),
            _ => throw new SlsInputException(file, "modules_to_save must be a list of module names"),
        };
        _rankPattern = Pattern(c, "rank_pattern", n => n is JsonValue v && v.TryGetValue(out int i) && i is > 0 and <= MaxRank ? i
            : throw new SlsInputException(file, $"rank_pattern values must be integers within 1..{MaxRank}"));
        _alphaPattern = Pattern(c, "alpha_pattern", n => n is JsonValue v && v.TryGetValue(out double d) && d > 0 && d <= MaxAlpha ? d
            : throw new SlsInputException(file, $"alpha_pattern values must be numbers within (0, {MaxAlpha}]"));
        _layers = c["layers_to_transform"] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out int i) && i is >= 0 and <= MaxLayer => [i],
            JsonArray arr => arr.Select(n => n is JsonValue jv && jv.TryGetValue(out int i) && i is >= 0 and <= MaxLayer ? i
                : throw new SlsInputException(file, $"layers_to_transform holds {Printable.Escape(n?.ToJsonString() ?? "null")}, not a layer "
                    + $"number within 0..{MaxLayer}")).ToList(),
            _ => throw new SlsInputException(file, "layers_to_transform must be an integer or a list of integers"),
        };
        if (_layers is { Count: 0 }) _layers = null;
        _layersPattern = c["layers_pattern"] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out string? s) => s.Length == 0 ? null : [s],
            JsonArray arr => arr.Count == 0 ? null : Strings(arr, "layers_pattern"),
            _ => throw new SlsInputException(file, "layers_pattern must be a string or a list of strings"),
        };
        foreach (var p in _layersPattern ?? []) CheckRegex(LayerRegex(p), "layers_pattern", p);
    }

    public int Rank0 { get; }

    public double Alpha0 { get; }

    public bool RsLora { get; }

    public IReadOnlyList<string> ListTargets { get; } = [];

    public IReadOnlyList<string> ModulesToSave { get; }

    public bool UsesLayers => _layers is not null && _regex is null && !_allLinear;

    /// <summary>PEFT's check_target_module_exists: excluded modules and modules_to_save are never targets.</summary>
    public bool Targets(string key)
    {
        if (_excludeRegex is not null ? FullMatch(_excludeRegex, key, "exclude_modules") : _exclude.Any(e => key == e || key.EndsWith("." + e,
            StringComparison.Ordinal))) return false;
        if (ModulesToSave.Any(m => Match($@"^(?:|.*\.){m}(?:$|\..*)", key))) return false;
        if (_allLinear) return true;
        if (_regex is not null) return FullMatch(_regex, key, "target_modules");
        if (ListTargets.Contains(key)) return true;
        if (!ListTargets.Any(t => key.EndsWith("." + t, StringComparison.Ordinal))) return false;
        if (_layers is null) return true;
        Match? m = null;
        if (_layersPattern is null) m = Regex.Match(key, @"^.*\.[^.]*\.(\d+)\.", RegexOptions.CultureInvariant, RegexTimeout);
        else
            foreach (var p in _layersPattern)
            {
                m = Timed(() => Regex.Match(key, LayerRegex(p), RegexOptions.CultureInvariant, RegexTimeout), "layers_pattern", p, key);
                if (m.Success) break;
            }
        return m is { Success: true } && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int layer)
            && _layers.Contains(layer);
    }

    /// <summary>Whether one entry of a list target_modules selects <paramref name="key"/> (layers aside).</summary>
    public static bool TargetEntryMatches(string entry, string key) => key == entry || key.EndsWith("." + entry, StringComparison.Ordinal);

    public int Rank(string key) => PatternValue(_rankPattern, key) is var (_, r) ? r : Rank0;

    public double Alpha(string key) => PatternValue(_alphaPattern, key) is var (_, a) ? a : Alpha0;

    /// <summary>PEFT's get_pattern_key: the first key K with <c>(.*\.)?(K)$</c> matching the module name.</summary>
    private (string, T)? PatternValue<T>(IReadOnlyList<(string Key, T Value)> patterns, string key)
    {
        foreach (var (k, v) in patterns)
            if (Match($@"^(?:.*\.)?(?:{k})$", key, typeof(T) == typeof(int) ? "rank_pattern" : "alpha_pattern", k)) return (k, v);
        return null;
    }

    private bool FullMatch(string pattern, string key, string field) => Match($"^(?:{pattern})$", key, field, pattern);

    /// <summary>PEFT's layer regex for one <c>layers_pattern</c> entry.</summary>
    private static string LayerRegex(string p) => $@"^.*\.{p}\.(\d+)\.";

    private bool Match(string pattern, string key, string field = "a pattern", string? given = null)
    {
        try
        {
            return Timed(() => Regex.IsMatch(key, pattern, RegexOptions.CultureInvariant, RegexTimeout), field, given ?? pattern, key);
        }
        catch (ArgumentException e)
        {
            throw new SlsInputException(_file, $"pattern '{Printable.Escape(pattern)}' is not a valid regular expression ({e.Message})");
        }
    }

    /// <summary>A match that takes longer than <see cref="RegexTimeout"/> (catastrophic backtracking) is refused by field.</summary>
    private T Timed<T>(Func<T> match, string field, string pattern, string key)
    {
        try
        {
            return match();
        }
        catch (RegexMatchTimeoutException)
        {
            string what = field == "a pattern" ? $"pattern '{Printable.Escape(pattern)}'" : $"{field} '{Printable.Escape(pattern)}'";
            throw new SlsInputException(_file, $"{what} took longer than {RegexTimeout.TotalSeconds} s to match '{Printable.Escape(key)}' "
                + $"(catastrophic backtracking?)");
        }
    }

    private string CheckRegex(string pattern, string field, string? given = null)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant, RegexTimeout);
            return pattern;
        }
        catch (ArgumentException e)
        {
            throw new SlsInputException(_file, $"{field} '{Printable.Escape(given ?? pattern)}' is not a valid regular expression ("
                + $"{Printable.Escape(e.Message)})");
        }
    }

    private List<(string, T)> Pattern<T>(JsonObject c, string field, Func<JsonNode?, T> value) => c[field] switch
    {
        null => [],
        JsonObject o => o.Select(kv => (CheckRegex(kv.Key, field), value(kv.Value))).ToList(),
        _ => throw new SlsInputException(_file, $"{field} must be an object of module name patterns"),
    };

    private List<string> Strings(JsonArray arr, string field) =>
        arr.Select(n => n is JsonValue v && v.TryGetValue(out string? s) ? s : throw new SlsInputException(_file,
            $"{field} holds a non-string entry")).ToList();

    private string? Str(JsonObject c, string field) => c[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => throw new SlsInputException(_file, $"{field} is not a string"),
    };

    private bool Bool(JsonObject c, string field) => c[field] switch
    {
        null => false,
        JsonValue v when v.TryGetValue(out bool b) => b,
        _ => throw new SlsInputException(_file, $"{field} is not true or false"),
    };

    private int? Int(JsonObject c, string field) => c[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out int i) => i,
        JsonValue v when v.TryGetValue(out double d) && d == Math.Floor(d) => throw new SlsInputException(_file,
            $"{field} {d.ToString("R", CultureInfo.InvariantCulture)} is not an integer within 1..{MaxRank}"),
        _ => throw new SlsInputException(_file, $"{field} is not an integer"),
    };

    private double? Num(JsonObject c, string field) => c[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out double d) && double.IsFinite(d) => d,
        _ => throw new SlsInputException(_file, $"{field} is not a number"),
    };
}
