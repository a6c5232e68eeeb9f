using System.Text.Json;
using System.Text.Json.Serialization;

namespace SlsPrune.Core.Indexing;

/// <summary>Writes an int list as one line (<c>[0,1,5]</c>) inside an indented document: a width-pruned index
/// lists thousands of kept units, and one per line would make it several times larger.</summary>
public sealed class CompactIntList : JsonConverter<IReadOnlyList<int>>
{
    public override IReadOnlyList<int>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<int[]>(ref reader);

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<int> value, JsonSerializerOptions options) =>
        writer.WriteRawValue("[" + string.Join(",", value) + "]", skipInputValidation: true);
}
