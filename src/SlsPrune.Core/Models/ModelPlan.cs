using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Models.Petl;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models;

/// <summary>What a width-pruned block keeps: attention heads, MLP hidden units and, optionally, the dimensions
/// of every kept head (the same for q, k and v of each head; null: all). 0-based, ascending.</summary>
public sealed record BlockWidth(IReadOnlyList<int> Heads, IReadOnlyList<int> MlpUnits, IReadOnlyList<int>? HeadDims = null);

/// <summary>
/// Which parts of a <see cref="Depth"/>-block backbone a (pruned) model is built from: the kept blocks
/// (0-based, ascending; any subset) and, per kept block, optionally the heads and MLP units it keeps.
/// Checkpoints always name blocks by their place in the full backbone; <see cref="Apply"/> renumbers the kept
/// blocks 0..k-1 as the built model names them and slices their weights: qkv rows (and LoRA B rows) and proj
/// columns (and LoRA A columns) of the dropped heads, fc1 rows and fc2 columns of the dropped units, and the
/// columns of a family's per-head tables (a Swin's relative position bias table). Each block's full sizes come
/// from its family (<see cref="BlockSizes"/>), so blocks of different widths (a Swin's stages) are cut alike. A
/// tensor already at the pruned size (masked adapter weights) is taken as it is.
/// </summary>
public sealed record ModelPlan(int Depth, IReadOnlyList<int> Blocks, IReadOnlyDictionary<int, BlockWidth>? Widths = null)
{
    /// <summary>Every block of a <paramref name="depth"/>-block backbone at full width: the unpruned model.</summary>
    public static ModelPlan Full(int depth) => new(depth, Enumerable.Range(0, depth).ToArray());

    /// <summary>The first <paramref name="keep"/> blocks (0..keep-1) of a <paramref name="depth"/>-block backbone at full
    /// width, as SLS keeps them.</summary>
    public static ModelPlan Leading(int depth, int keep) => new(depth, Enumerable.Range(0, keep).ToArray());

    /// <summary>Whether the plan keeps <paramref name="block"/> (0-based, numbered as in the full backbone).</summary>
    public bool Keeps(int block) => Blocks.Contains(block);

    /// <summary>The width of the model's <paramref name="position"/>-th block (null: full width).</summary>
    public BlockWidth? WidthAt(int position) => Widths is not null && Widths.TryGetValue(Blocks[position], out var w) ? w : null;

    /// <summary>Checks the plan against the backbone's shape: <paramref name="fullDepth"/> blocks, block b's full sizes <paramref
    /// name="sizes"/>(b).</summary>
    public void Validate(int fullDepth, Func<int, BlockSizes> sizes, string source)
    {
        if (Depth != fullDepth) throw new SlsInputException(source, $"kept blocks are for a {Depth}-block model but the backbone has {fullDepth} "
            + $"blocks");
        if (Blocks.Count == 0 || Blocks.Any(b => b < 0 || b >= Depth) || Blocks.Zip(Blocks.Skip(1)).Any(p => p.First >= p.Second))
            throw new SlsInputException(source, $"kept blocks must be distinct, ascending and within 1..{Depth}");
        foreach (var (block, w) in Widths ?? new Dictionary<int, BlockWidth>())
        {
            if (!Keeps(block)) throw new SlsInputException(source, $"a width is given for block {block + 1}, which is not kept");
            var full = sizes(block);
            Check(w.Heads, full.Heads, $"block {block + 1} heads");
            Check(w.MlpUnits, full.MlpHidden, $"block {block + 1} MLP units");
            if (w.HeadDims is not null) Check(w.HeadDims, full.HeadDim, $"block {block + 1} head dims");
        }

        void Check(IReadOnlyList<int> kept, int total, string what)
        {
            if (kept.Count == 0 || kept.Any(i => i < 0 || i >= total) || kept.Zip(kept.Skip(1)).Any(p => p.First >= p.Second))
                throw new SlsInputException(source, $"{what} must be distinct, ascending, non-empty and within 0..{total - 1}");
        }
    }

    /// <summary>The kept blocks' weights renamed to the model's numbering and sliced; other blocks' weights are
    /// dropped (and disposed); weights outside the blocks pass through.</summary>
    /// <param name="sizes">block b's full sizes (b as the full backbone numbers it).</param>
    /// <param name="petlRules">the PETL method's own tensors that width pruning cuts (<see cref="PetlMethod.SliceRules"/>).</param>
    /// <param name="familyRules">the family's own block tensors that width pruning cuts beyond qkv, proj, fc1 and fc2.</param>
    public Dictionary<string, Tensor> Apply(Dictionary<string, Tensor> weights, Func<int, BlockSizes> sizes,
        IReadOnlyDictionary<string, SliceRole>? petlRules = null,
        IReadOnlyDictionary<string, SliceRole>? familyRules = null)
    {
        var position = Blocks.Select((b, i) => (b, i)).ToDictionary(p => p.b, p => p.i);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in weights)
        {
            if (BlockKey.Parse(name) is not (int block, string rest)) { result[name] = t; continue; }
            if (!position.TryGetValue(block, out int pos)) { t.Dispose(); continue; }
            var sliced = Widths is not null && Widths.TryGetValue(block, out var w) ? Slice(rest, t, w, sizes(block), petlRules, familyRules) : t;
            if (!ReferenceEquals(sliced, t)) t.Dispose();
            result[BlockKey.Name(pos, rest)] = sliced;
        }
        return result;
    }

    /// <summary>Rows of qkv for the kept heads and head dims (q, k and v sections), or columns of proj.</summary>
    public static long[] HeadChannels(IReadOnlyList<int> heads, IReadOnlyList<int>? dims, BlockSizes full, bool qkv)
    {
        int hd = full.HeadDim;
        var keptDims = dims ?? Enumerable.Range(0, hd).ToArray();
        var inner = heads.SelectMany(h => keptDims.Select(d => h * hd + d)).ToArray();
        return (qkv ? Enumerable.Range(0, 3).SelectMany(s => inner.Select(i => s * full.Width + i)) : inner).Select(i => (long)i).ToArray();
    }

    /// <summary>How the backbone's own block tensors are cut.</summary>
    private static readonly Dictionary<string, SliceRole> BackboneRules = new(StringComparer.Ordinal)
    {
        ["attn.qkv.weight"] = SliceRole.QkvRows,
        ["attn.qkv.bias"] = SliceRole.QkvRows,
        ["attn.proj.weight"] = SliceRole.ProjColumns,
        ["mlp.fc1.weight"] = SliceRole.UnitRows,
        ["mlp.fc1.bias"] = SliceRole.UnitRows,
        ["mlp.fc2.weight"] = SliceRole.UnitColumns,
    };

    private static Tensor Slice(string rest, Tensor t, BlockWidth w, BlockSizes full, IReadOnlyDictionary<string, SliceRole>? petlRules,
        IReadOnlyDictionary<string, SliceRole>? familyRules)
    {
        if (!BackboneRules.TryGetValue(rest, out var role) && (familyRules is null || !familyRules.TryGetValue(rest, out role))
            && (petlRules is null || !petlRules.TryGetValue(rest, out role))) return t;
        var (dim, size, keep) = role switch
        {
            SliceRole.QkvRows => (0, 3 * full.Width, HeadChannels(w.Heads, w.HeadDims, full, qkv: true)),
            SliceRole.ProjColumns => (1, full.Width, HeadChannels(w.Heads, w.HeadDims, full, qkv: false)),
            SliceRole.UnitRows => (0, full.MlpHidden, w.MlpUnits.Select(i => (long)i).ToArray()),
            SliceRole.HeadColumns => (1, full.Heads, w.Heads.Select(i => (long)i).ToArray()),
            _ => (1, full.MlpHidden, w.MlpUnits.Select(i => (long)i).ToArray()),
        };
        if (t.shape[dim] != size || keep.Length == size) return t;
        using var index = torch.tensor(keep, device: t.device);
        return t.index_select(dim, index).contiguous();
    }
}
