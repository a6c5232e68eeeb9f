namespace SlsPrune.Cli.Output;

/// <summary>A count and its noun, singular for one: "1 class", "2 classes", "0 files".</summary>
public static class Plural
{
    public static string Of(long count, string one, string? many = null) =>
        count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + (count == 1 ? one : many ?? one + "s");
}
