using System.Globalization;

namespace SlsPrune.Core.Models.Petl;

/// <summary>Works out PETL settings from a PETL file: the method from its tensor names, the hidden dim from
/// shapes, and scale / groups from <c>__metadata__</c> (<c>petl_method</c>, <c>petl_dim</c>,
/// <c>petl_scale</c>, <c>petl_groups</c>), with explicit overrides winning.</summary>
public static class PetlDetector
{
    public static PetlMethod DetectMethod(IEnumerable<string> names)
    {
        var list = names.ToList();
        if (list.Any(n => n.Contains(".adapter_attn.adapter_down.", StringComparison.Ordinal))) return PetlMethod.Convpass;
        if (list.Any(n => n.Contains(".adapter_attn.conv_A.", StringComparison.Ordinal))) return PetlMethod.RepAdapter;
        if (list.Any(n => n.Contains(".mlp.fc1.lora_A.", StringComparison.Ordinal))) return PetlMethod.SpLora;
        if (list.Any(n => n.Contains(".attn.qkv.lora_A.", StringComparison.Ordinal))) return PetlMethod.Lora;
        if (list.Any(n => n.Contains(".adapter_mlp.down_proj.", StringComparison.Ordinal))) return PetlMethod.AdaptFormer;
        if (list.Any(n => n.EndsWith(".prompt_embeddings", StringComparison.Ordinal))) return PetlMethod.Vpt;
        return PetlMethod.Linear;
    }

    /// <summary>Settings for a PETL file. Scale is required for adapters: from metadata or <paramref name="scale"/>.</summary>
    /// <param name="source">the PETL file, named in errors.</param>
    public static PetlSettings Resolve(IReadOnlyDictionary<string, long[]> shapes, IReadOnlyDictionary<string, string> metadata,
        string source, PetlMethod? method = null, int? hiddenDim = null, double? scale = null)
    {
        var detected = DetectMethod(shapes.Keys);
        PetlMethod m = method ?? (metadata.TryGetValue("petl_method", out var mm)
            ? (PetlSettings.TryParse(mm, out var pm) ? pm : throw new SlsInputException(source, $"metadata petl_method '{mm}' is not a known method"))
            : detected);
        if (m != detected)
            throw new SlsInputException(source, $"PETL method is {PetlSettings.Name(m)} but the tensors are those of {PetlSettings.Name(detected)}");
        if (m == PetlMethod.Linear) return PetlSettings.None;

        var (probe, axis) = PetlSettings.HiddenDimProbe(m)!.Value;
        probe = FirstBlock(shapes, probe);
        int dimFromShapes = shapes.TryGetValue(probe, out var s) ? (int)s[axis] : throw new SlsInputException(source, $"missing '{probe}'");
        int dim = hiddenDim ?? dimFromShapes;
        if (dim != dimFromShapes) throw new SlsInputException(source, $"--petl-dim {dim} disagrees with the file's hidden dim {dimFromShapes}");

        double sc = scale ?? (metadata.TryGetValue("petl_scale", out var ss)
            ? (double.TryParse(ss, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new SlsInputException(source, $"metadata petl_scale '{ss}' is not a number"))
            : m == PetlMethod.Vpt ? 1.0 // prompts are not scaled
            : throw new SlsInputException(source, $"the {PetlSettings.Name(m)} scale s is not in the file's metadata; give it with --petl-scale"));

        int groups = 2;
        if (m == PetlMethod.RepAdapter)
        {
            if (metadata.TryGetValue("petl_groups", out var gs) && !int.TryParse(gs, NumberStyles.Integer, CultureInfo.InvariantCulture, out groups))
                throw new SlsInputException(source, $"metadata petl_groups '{gs}' is not an integer");
            if (shapes.TryGetValue(FirstBlock(shapes, "blocks.0.adapter_attn.conv_B.weight"), out var b) && b[1] * groups != dim)
                throw new SlsInputException(source, $"conv_B takes {b[1]} channels per group; with {groups} groups that is not hidden dim {dim}");
        }
        return new PetlSettings(m, dim, sc, groups);
    }

    /// <summary><paramref name="key"/> (named for block 0) for the first block the file has it for: a PETL file
    /// of a model whose first block was pruned starts later.</summary>
    private static string FirstBlock(IReadOnlyDictionary<string, long[]> shapes, string key)
    {
        string rest = key["blocks.0.".Length..];
        var blocks = shapes.Keys.Select(Models.ModelPlan.BlockOf).Where(b => b is { } x && x.Tail == rest).Select(b => b!.Value.Block).ToList();
        return blocks.Count == 0 ? key : $"blocks.{blocks.Min()}.{rest}";
    }
}
