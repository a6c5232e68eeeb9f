namespace SlsPrune.Core.Data;

/// <summary>How <c>--data</c> is read, beside its path: the columns of a CSV, EXIF orientation, and where the
/// layout found is said (the command line's progress on stderr).</summary>
/// <param name="PathColumn">a CSV's image-path column (null: <see cref="DefaultPathColumn"/>).</param>
/// <param name="LabelColumn">a CSV's label column (null: <see cref="DefaultLabelColumn"/>).</param>
/// <param name="ExifTranspose">turn JPEGs upright by their EXIF orientation, as Pillow's <c>ImageOps.exif_transpose</c>.</param>
/// <param name="Report">receives one line per thing worth saying (the layout detected, a class missing from a split).</param>
public sealed record DataOptions(string? PathColumn = null, string? LabelColumn = null, bool ExifTranspose = false, Action<string>? Report = null)
{
    /// <summary>Every setting at its default: the one place the command line's options and a batch manifest read them from.</summary>
    public static readonly DataOptions Defaults = new();

    /// <summary>A CSV's image-path column where none is named.</summary>
    public const string DefaultPathColumn = "path";

    /// <summary>A CSV's label column where none is named.</summary>
    public const string DefaultLabelColumn = "label";
}
