using System.Globalization;

namespace SlsPrune.Core.Models;

/// <summary>One setting of a family's untrained shape, an option of <c>sls pretrain</c> the family declares (ViT's
/// <c>--depth</c>, Swin's <c>--depths</c>): a whole number, or a comma-separated list of them (<see cref="IsList"/>).
/// <see cref="Default"/> is the number's default, <see cref="ListDefault"/> the list's (null: the family's own rule,
/// which the help says). Every value must be within 1..<see cref="Max"/> (a list's each), so that no value sizes a
/// model before the model's own bounds are computed from it.</summary>
public sealed record ShapeSetting(string Option, string Help, bool IsList, int Default = 0, IReadOnlyList<int>? ListDefault = null,
    int Max = int.MaxValue)
{
    /// <summary>The most values a list setting takes (a Swin's stages: 4 in every published one).</summary>
    public const int MaxListLength = 8;

    public static ShapeSetting Number(string option, int @default, string help, int max) => new(option, help, false, @default, Max: max);

    public static ShapeSetting List(string option, IReadOnlyList<int>? @default, string help, int max) => new(option, help, true, 0, @default, max);

    /// <summary>The default as the command line spells it, or null.</summary>
    public string? DefaultText => IsList
        ? ListDefault is null ? null : string.Join(",", ListDefault.Select(v => v.ToString(CultureInfo.InvariantCulture)))
        : Default.ToString(CultureInfo.InvariantCulture);
}
