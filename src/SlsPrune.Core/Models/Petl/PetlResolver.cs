using System.Globalization;
using SlsPrune.Core.Checkpoints;

namespace SlsPrune.Core.Models.Petl;

/// <summary>Works out PETL settings from a PETL file: the method from its tensor names, the hidden dim from
/// shapes, and scale / groups from <c>__metadata__</c> (<c>petl_method</c>, <c>petl_dim</c>,
/// <c>petl_scale</c>, <c>petl_groups</c>); an explicit setting fills in what the file does not say and is refused where it
/// contradicts what it does.</summary>
public static class PetlResolver
{
    /// <summary>Settings for a PETL file. Scale is required for adapters: from metadata or <paramref name="scale"/>.</summary>
    /// <param name="source">the PETL file, named in errors.</param>
    public static PetlSettings Resolve(IReadOnlyDictionary<string, long[]> shapes, IReadOnlyDictionary<string, string> metadata,
        string source, PetlMethod? method = null, int? hiddenDim = null, double? scale = null)
    {
        var detected = PetlMethods.Detect(shapes.Keys);
        PetlMethod m = method ?? (metadata.TryGetValue("petl_method", out var mm)
            ? PetlMethods.ByName(mm) ?? throw new SlsInputException(source, $"metadata petl_method '{mm}' is not a known method")
            : detected);
        if (m != detected)
            throw new SlsInputException(source, $"PETL method is {m.Name} but the tensors are those of {detected.Name}");
        if (m.HiddenDimProbe is not var (probe, axis)) return PetlSettings.None;

        probe = FirstBlock(shapes, probe);
        int dimFromShapes = shapes.TryGetValue(probe, out var s) ? (int)s[axis] : throw new SlsInputException(source, $"missing '{probe}'");
        int dim = hiddenDim ?? dimFromShapes;
        if (dim != dimFromShapes) throw new SlsInputException(source, $"--petl-dim {dim} disagrees with the file's hidden dim {dimFromShapes}");

        double? recorded = metadata.TryGetValue("petl_scale", out var ss)
            ? (double.TryParse(ss, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v
                : throw new SlsInputException(source, $"metadata petl_scale '{Printable.Escape(ss)}' is not a finite number"))
            : null;
        if (scale is double given && !double.IsFinite(given)) throw new SlsInputException("--petl-scale", $"{given} is not a finite number");
        // the scale the adapters were trained with is part of the weights: another one gives another model, silently
        if (scale is double s2 && recorded is double r && s2 != r)
            throw new SlsInputException(source, $"--petl-scale {G(s2)} disagrees with the file's petl_scale {G(r)} (the scale its adapters were "
                + "trained with)");
        double sc = scale ?? recorded ?? (!m.NeedsScale ? 1.0
            : throw new SlsInputException(source, $"the {m.Name} scale s is not in the file's metadata; give it with --petl-scale"));
        return m.Complete(new PetlSettings(m, dim, sc), shapes, metadata, source);
    }

    private static string G(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary><paramref name="key"/> (named for block 0) for the first block the file has it for: a PETL file
    /// of a model whose first block was pruned starts later.</summary>
    public static string FirstBlock(IReadOnlyDictionary<string, long[]> shapes, string key)
    {
        string rest = BlockKey.Parse(key)!.Value.Tail;
        var blocks = shapes.Keys.Select(BlockKey.Parse).Where(b => b is { } x && x.Tail == rest).Select(b => b!.Value.Block).ToList();
        return blocks.Count == 0 ? key : BlockKey.Name(blocks.Min(), rest);
    }
}
