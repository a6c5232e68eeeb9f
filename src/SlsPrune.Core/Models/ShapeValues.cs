using System.Collections.Immutable;
using System.Globalization;

namespace SlsPrune.Core.Models;

/// <summary>The values given for a family's <see cref="ShapeSetting"/>s, by option; a setting not given reads as its
/// default. Values given for another family's settings are not read.</summary>
public sealed class ShapeValues
{
    private readonly ImmutableDictionary<string, int[]> given;

    private ShapeValues(ImmutableDictionary<string, int[]> given) => this.given = given;

    /// <summary>Nothing given: every setting at its default.</summary>
    public static ShapeValues Defaults { get; } = new(ImmutableDictionary.Create<string, int[]>(StringComparer.Ordinal));

    /// <summary>These values with <paramref name="option"/> set to <paramref name="values"/> (one for a number).</summary>
    public ShapeValues With(string option, params int[] values) => new(given.SetItem(option, values));

    /// <summary>A number setting's value.</summary>
    /// <exception cref="SlsInputException">naming the option, when a list of several was given.</exception>
    /// <exception cref="SlsInputException">naming the option, when a list of several was given or the value is outside
    /// 1..<see cref="ShapeSetting.Max"/>.</exception>
    public int Number(ShapeSetting setting) => !given.TryGetValue(setting.Option, out var v) ? setting.Default
        : v.Length == 1 ? InRange(setting, v[0]) : throw new SlsInputException(setting.Option, $"takes one number, not {v.Length}");

    /// <summary>A list setting's values (null: not given and no default).</summary>
    /// <exception cref="SlsInputException">naming the option, when more than <see cref="ShapeSetting.MaxListLength"/> were
    /// given or one is outside 1..<see cref="ShapeSetting.Max"/>.</exception>
    public IReadOnlyList<int>? List(ShapeSetting setting)
    {
        if (!given.TryGetValue(setting.Option, out var v)) return setting.ListDefault;
        if (v.Length > ShapeSetting.MaxListLength)
            throw new SlsInputException(setting.Option, $"takes at most {ShapeSetting.MaxListLength} values, not {v.Length}");
        foreach (int x in v) InRange(setting, x);
        return v;
    }

    private static int InRange(ShapeSetting setting, int value) => value >= 1 && value <= setting.Max ? value
        : throw new SlsInputException(setting.Option, $"must be within 1..{setting.Max} (got {value})");

    /// <summary>A comma-separated list of positive integers, as a list setting is given on the command line.</summary>
    /// <exception cref="SlsInputException">naming <paramref name="option"/>, when it is not one.</exception>
    public static int[] ParseList(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]) || values[i] <= 0)
                throw new SlsInputException(option, $"'{text}' is not a comma-separated list of positive integers");
        return values;
    }
}
