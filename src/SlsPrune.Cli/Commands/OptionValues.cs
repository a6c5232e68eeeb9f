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

    /// <summary>Adds a validator over several of <paramref name="command"/>'s options. Where one of the values it reads did not
    /// parse (<c>--lora-alpha abc</c>, an option given twice, one without its value) <c>GetValue</c> throws; the parser's
    /// own one-line error for that option stands then, and this validator says nothing.</summary>
    public static void AddValidator(this System.CommandLine.Command command, Action<CommandResult> validate) =>
        command.Validators.Add(r =>
        {
            try
            {
                validate(r);
            }
            catch (InvalidOperationException) when (r.Errors.Any() || r.Children.Any(c => c.Errors.Any()))
            {
            }
        });
}
