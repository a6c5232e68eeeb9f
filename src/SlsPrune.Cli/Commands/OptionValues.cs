using System.CommandLine.Parsing;

namespace SlsPrune.Cli.Commands;

/// <summary>An option's value inside a validator, where the value may not have parsed at all (<c>--train abc</c>,
/// <c>--batch-size 99999999999</c>): System.CommandLine's <c>GetValueOrDefault</c> throws then, so a validator asks
/// here and leaves such a value to the parser's own one-line error.</summary>
internal static class OptionValues
{
    /// <summary>Whether the option's tokens parsed, and to what (its default where it was not given).</summary>
    public static bool TryParsed<T>(this OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }
}
