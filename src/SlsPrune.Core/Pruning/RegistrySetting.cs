using System.Text.Json;
using System.Text.Json.Serialization;

namespace SlsPrune.Core.Pruning;

/// <summary>A setting whose values are a registry's names (SLS's <c>metric</c>): the values it takes, and the name of
/// one value, for the help, the command line's choices and a default's text.</summary>
public interface IRegistrySetting
{
    IReadOnlyList<string> Choices { get; }

    string NameOf(object value);
}

/// <summary>Reads and writes a setting as the name of one entry of a registry (read as an enum setting's names are);
/// the property declares it with <c>[JsonConverter(typeof(...))]</c> and <see cref="MethodSettings.Describe"/> offers
/// the registry's names as the setting's choices.</summary>
public abstract class RegistrySetting<T> : JsonConverter<T>, IRegistrySetting where T : class
{
    protected abstract IReadOnlyList<T> All { get; }

    protected abstract string Name(T value);

    public IReadOnlyList<string> Choices => All.Select(Name).ToArray();

    public string NameOf(object value) => Name((T)value);

    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException();
        string text = reader.GetString()!;
        // as an enum setting read them: the kebab name as written, or the name without its hyphens in any case (and
        // trimmed), so a manifest that an enum setting took reads the same
        return All.FirstOrDefault(v => Name(v) == text || string.Equals(Name(v).Replace("-", "", StringComparison.Ordinal), text.Trim(),
            StringComparison.OrdinalIgnoreCase))
            ?? throw new JsonException();
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(Name(value));
}
