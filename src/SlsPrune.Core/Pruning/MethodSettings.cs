using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SlsPrune.Core.Pruning;

/// <summary>Reads a method's options record from settings: snake_case keys, enums by their lowercase names,
/// strict types, a registry's entries by their names; keys the record does not have are left to other methods.</summary>
public static class MethodSettings
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    public static IReadOnlyCollection<string> Names<T>() => Properties(typeof(T)).Select(Key).ToArray();

    /// <summary>The properties <see cref="Json"/> reads and writes (public, instance, readable, not indexers), in its order
    /// (a derived record's own before its base's): found by reflection, not through <see cref="Json"/>'s type info, whose
    /// building compiled about 130 serializer methods and emitted accessors for every method's record at the start of
    /// every command, --version included (<c>MethodSettingsTests</c> keeps the two the same).</summary>
    internal static PropertyInfo[] Properties(Type options) => options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0).ToArray();

    /// <summary>A property's key, as <see cref="Json"/>'s naming policy writes it.</summary>
    internal static string Key(PropertyInfo property) => JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);

    /// <summary>Every setting an options record declares (<see cref="SettingAttribute"/>), with its default from a fresh
    /// record. A property without the declaration is a bug, refused here (and by a test over every method).</summary>
    public static IReadOnlyList<SettingInfo> Describe(Type options)
    {
        object fresh = Activator.CreateInstance(options)!;
        return Properties(options).Select(property =>
        {
            var declared = property.GetCustomAttributes(typeof(SettingAttribute), inherit: true).OfType<SettingAttribute>().FirstOrDefault()
                ?? throw new InvalidOperationException($"{options.Name}.{property.Name} has no [Setting] declaration");
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object? value = property.GetValue(fresh);
            IReadOnlyList<string>? choices = type.IsEnum ? Enum.GetNames(type).Select(JsonNamingPolicy.KebabCaseLower.ConvertName).ToArray() : null;
            if (property.GetCustomAttributes(typeof(JsonConverterAttribute), inherit: true).OfType<JsonConverterAttribute>()
                .FirstOrDefault()?.ConverterType is { } c
                && Activator.CreateInstance(c) is IRegistrySetting registry)
                (choices, value) = (registry.Choices, value is null ? null : registry.NameOf(value)); // a registry's entry by its name
            return new SettingInfo(Key(property), type, value, declared.Help, declared.IsPath, declared.Hidden, choices)
            {
                ListInto = declared.ListInto,
            };
        }).ToArray();
    }

    /// <summary>A number setting (or a list's numbers) finite: NaN and infinity (the command line's <c>NaN</c>,
    /// <c>Infinity</c>, <c>1e400</c>; YAML's <c>.nan</c>, <c>.inf</c>) are no setting's value, and no JSON writer takes them.</summary>
    private static JsonNode Finite(JsonNode value, string key, string source)
    {
        foreach (var node in value is JsonArray a ? a.Select(n => n) : [value])
            if (node is JsonValue v && v.TryGetValue(out double d) && !double.IsFinite(d))
                throw new SlsInputException(source == CommandLine ? $"--{key.Replace('_', '-')}" : source,
                    $"{(source == CommandLine ? "" : $"setting '{key}' ")}must be a finite number (got {Hyperparameter.Text(d)})");
        return value;
    }

    /// <summary>The source <see cref="Read{T}"/> is given for settings from <c>sls prune</c>'s options: a refusal names the option.</summary>
    public const string CommandLine = "sls prune";

    public static T Read<T>(JsonObject settings, string source) where T : class, new()
    {
        var mine = Names<T>();
        var own = new JsonObject();
        foreach (var (key, value) in settings)
            if (mine.Contains(key) && value is not null) own[key] = Finite(value, key, source).DeepClone();
        try
        {
            return own.Deserialize<T>(Json) ?? new T();
        }
        catch (JsonException e)
        {
            string key = e.Path is { Length: > 2 } p ? p[2..] : "a setting";
            throw new SlsInputException(source, $"setting '{key}' has the wrong type or value");
        }
    }
}
