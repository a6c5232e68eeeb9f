using System.Globalization;

namespace SlsPrune.Core;

/// <summary>The one check every real-valued option and setting goes through (a learning rate, a decay, a t-SNE
/// perplexity, a scale): a finite number within its range, or a one-line refusal naming the option. NaN and infinity
/// (<c>NaN</c>, <c>Infinity</c>, <c>1e400</c>) are never a value: they trained NaN weights at exit 0, or reached a JSON
/// writer that cannot write them.</summary>
public static class Hyperparameter
{
    /// <summary><paramref name="value"/> finite and within <paramref name="min"/>..<paramref name="max"/> (an end excluded
    /// where <paramref name="minExcluded"/>: "positive").</summary>
    /// <exception cref="SlsInputException">naming <paramref name="option"/>.</exception>
    public static double Check(string option, double value, double min = double.MinValue, double max = double.MaxValue, bool minExcluded = false)
    {
        if (!double.IsFinite(value)) throw new SlsInputException(option, $"must be a finite number (got {Text(value)})");
        if (value < min || (minExcluded && value == min) || value > max)
            throw new SlsInputException(option, $"must be {Range(min, max, minExcluded)} (got {Text(value)})");
        return value;
    }

    /// <summary>The range as a refusal says it.</summary>
    public static string Range(double min, double max, bool minExcluded) =>
        (min, max, minExcluded) switch
        {
            (0, double.MaxValue, true) => "a positive number",
            (0, double.MaxValue, false) => "a non-negative number",
            (_, double.MaxValue, _) => $"{(minExcluded ? "above" : "at least")} {Text(min)}",
            _ => minExcluded ? $"above {Text(min)} and at most {Text(max)}" : $"within {Text(min)}..{Text(max)}",
        };

    /// <summary>A number as the refusals write it (invariant culture, round-trip; <c>NaN</c>, <c>Infinity</c>).</summary>
    public static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
