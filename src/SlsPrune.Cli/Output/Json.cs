using System.Text.Json;
using SlsPrune.Core;

namespace SlsPrune.Cli.Output;

/// <summary>The one JSON style of every <c>--json</c> document (<see cref="JsonStyle"/>): snake_case, indented.</summary>
public static class Json
{
    public static JsonSerializerOptions Options => JsonStyle.Options;

    public static void Write<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Options));
}
