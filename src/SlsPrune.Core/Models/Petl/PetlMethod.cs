using SlsPrune.Core.Models.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl;

/// <summary>Which layer of a block a <see cref="PetlMethod.Linear"/> slot builds.</summary>
public enum LinearRole { Qkv, Proj, Fc1, Fc2 }

/// <summary>A block's branch: attention or MLP (each has an adapter slot).</summary>
public enum Branch { Attention, Mlp }

/// <summary>How a tensor of a width-pruned block is cut: rows of qkv (per kept head and head dim, in the q, k and
/// v sections), columns of proj, rows of fc1 or columns of fc2 (per kept MLP unit), or one column per kept head
/// (a Swin's relative position bias table, [(2w-1)^2, heads]).</summary>
public enum SliceRole { QkvRows, ProjColumns, UnitRows, UnitColumns, HeadColumns }

/// <summary>The sizes of one block that a PETL method's FLOPs depend on: tokens (prompts included), width, the
/// attention's inner width (heads x head dim kept), MLP units, and patch tokens of the grid (the rest of the tokens
/// are prefix tokens: the class token, ...). <paramref name="WindowTokens"/>: the tokens qkv and proj run over where
/// that differs (a Swin stage's grid padded to a multiple of its window); null: <paramref name="Tokens"/>.</summary>
public readonly record struct BlockShape(long Tokens, long Width, long Inner, long Mlp, long GridTokens, long? WindowTokens = null)
{
    /// <summary>The tokens the attention's linear layers (qkv, proj) run over.</summary>
    public long AttentionTokens => WindowTokens ?? Tokens;

    /// <summary>Tokens before the patch grid (0 on a Swin).</summary>
    public long PrefixTokens => Tokens - GridTokens;
}

/// <summary>
/// One PETL method, described once: its name, how its tensors are recognised, where its hidden dim shows, which
/// parameters it owns, the modules it puts into a block's slots (adapter slots of the two branches, the linear
/// layers, the token slot), its FLOPs, the tensors width pruning cuts, and whether it merges exactly into the
/// backbone. Blocks ask the method for their slots and never test which method it is. A new method is a file
/// under Methods/ and a line in <see cref="PetlMethods.All"/>.
/// </summary>
public abstract class PetlMethod
{
    /// <summary>The name on the command line, in metadata and in reports.</summary>
    public abstract string Name { get; }

    /// <summary>Whether a state dict's names hold this method's tensors (<see cref="PetlMethods.All"/> asks in order).</summary>
    public abstract bool Detect(IReadOnlyCollection<string> names);

    /// <summary>The tensor (named for block 0) whose shape gives the hidden dim, and the axis; null: no hidden dim.</summary>
    public virtual (string Key, int Axis)? HiddenDimProbe => null;

    /// <summary>Whether a parameter (model name) belongs to this method's modules.</summary>
    public virtual bool OwnsParameter(string name) => false;

    /// <summary>Whether the scale s must be given (in metadata or with --petl-scale).</summary>
    public virtual bool NeedsScale => true;

    /// <summary>Method-specific checks and settings read from a PETL file (RepAdapter's groups).</summary>
    public virtual PetlSettings Complete(PetlSettings settings, IReadOnlyDictionary<string, long[]> shapes,
        IReadOnlyDictionary<string, string> metadata, string source) => settings;

    /// <summary>The module in a branch's adapter slot (null: the empty slot); <paramref name="prefixTokens"/>: the tokens
    /// before the patch grid (the class token, and a distillation token or registers where the model has them; 0 on
    /// a Swin, whose blocks hand the slot their [B, H, W, C] tokens flattened to [B, H*W, C]).</summary>
    public virtual BranchAdapter? Adapter(PetlSettings s, int width, Branch branch, int prefixTokens = 1) => null;

    /// <summary>The module for one of a block's linear layers (null: a plain Linear).</summary>
    public virtual nn.Module<Tensor, Tensor>? Linear(PetlSettings s, LinearRole role, int inFeatures, int outFeatures) => null;

    /// <summary>The block's token slot (null: tokens pass unchanged).</summary>
    public virtual TokenSlot? Tokens(PetlSettings s, int width, int patchSize, bool firstBlock) => null;

    /// <summary>Tokens the method adds to the sequence (VPT's prompts).</summary>
    public virtual long ExtraTokens(PetlSettings s) => 0;

    /// <summary>Multiply-accumulates the method adds to one block.</summary>
    public virtual long BlockMacs(PetlSettings s, BlockShape b) => 0;

    /// <summary>Tensors of the method (by name within a block) that width pruning cuts, and how.</summary>
    public virtual IReadOnlyDictionary<string, SliceRole> SliceRules { get; } = new Dictionary<string, SliceRole>();

    /// <summary>Whether the method folds exactly into the backbone's weights for inference (<see cref="Merge"/>).</summary>
    public virtual bool Mergeable => false;

    /// <summary>Whether the merged layers still map a zero token to their own bias. RepAdapter's merge adds
    /// <c>W c</c> to qkv's bias, so a Swin window's zero padding (added before qkv) no longer stays inert.</summary>
    public virtual bool MergeKeepsZeroTokens => true;

    /// <summary>The weights with the method folded into the backbone's; the result loads into a model without it.</summary>
    public virtual Dictionary<string, Tensor> Merge(IReadOnlyDictionary<string, Tensor> weights, PetlSettings s, int depth) =>
        throw new NotSupportedException($"{Name} does not merge into the backbone");

    /// <summary>One of a block's linear layers (<paramref name="prefix"/>: its name) in an exported graph.</summary>
    public virtual GraphValue EmitLinear(IGraph g, PetlSettings s, LinearRole role, string prefix, GraphValue x) => g.Linear(x, prefix);

    /// <summary>A branch in an exported graph, as <see cref="BranchAdapter.Apply"/>: the sublayer on the normed
    /// input, joined by the adapter whose tensors <paramref name="adapter"/> names (<c>blocks.{i}.adapter_attn</c>).</summary>
    public virtual GraphValue EmitBranch(IGraph g, PetlSettings s, BlockShape b, string adapter, Func<GraphValue, GraphValue> sublayer,
        GraphValue normed, GraphValue input) => sublayer(normed);

    /// <summary>The token slot in an exported graph, as <see cref="TokenSlot.Apply"/> at inference.</summary>
    public virtual GraphValue EmitTokens(IGraph g, PetlSettings s, BlockShape b, string block, GraphValue x, bool firstBlock) => x;

    public override string ToString() => Name;

    /// <summary>Methods hold no state: two descriptors of the same class are the same method.</summary>
    public override bool Equals(object? obj) => obj is not null && obj.GetType() == GetType();

    public override int GetHashCode() => GetType().GetHashCode();

    public static bool operator ==(PetlMethod? a, PetlMethod? b) => a is null ? b is null : a.Equals(b);

    public static bool operator !=(PetlMethod? a, PetlMethod? b) => !(a == b);
}
