using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models.Graph;
using SlsPrune.Core.Models.Petl;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models;

/// <summary>
/// What every backbone family offers the rest of the tool: the embedding (the input of block 1), its blocks one
/// at a time, the per-block feature the family's head reads (the cls token, or pooled patch tokens for families
/// without one: the family decides, not the caller), the head (final norm, pooling, head), its FLOPs and its
/// PETL modules. Features, block influence, FLOP counting, training and evaluation use only this. A pruned model
/// is one built with fewer (or narrower) blocks.
/// </summary>
public abstract class Backbone : nn.Module<Tensor, Tensor>
{
    protected Backbone(string name) : base(name) { }

    /// <summary>The family, as reports name it (vit, ...).</summary>
    public abstract string Family { get; }

    /// <summary>Blocks this model runs.</summary>
    public abstract int Depth { get; }

    /// <summary>Width of the per-block feature.</summary>
    public abstract int FeatureWidth { get; }

    /// <summary>Classes of the head (0: no head).</summary>
    public abstract int NumClasses { get; }

    /// <summary>Which token(s) the per-block feature is: <c>cls</c> (the class token) or <c>mean-patch</c>.</summary>
    public abstract string FeatureKind { get; }

    public abstract PetlSettings Petl { get; }

    /// <summary>Input size, channels and normalisation.</summary>
    public abstract InputSpec Input { get; }

    /// <summary>Images to the input tokens of block 1. Images are cast to the weights' type.</summary>
    public abstract Tensor Embed(Tensor images);

    /// <summary>The model's <paramref name="i"/>-th block on tokens <paramref name="x"/> (the previous block's
    /// output, or the embedding).</summary>
    public abstract Tensor RunBlock(int i, Tensor x);

    /// <summary>The full (unpruned) sizes of the model's <paramref name="i"/>-th block that width pruning cuts (heads,
    /// MLP units, per-head tables); null where the family's blocks cannot be narrowed.</summary>
    public virtual BlockSizes? FullBlockSizes(int i) => null;

    /// <summary>What block <paramref name="i"/> itself receives when <see cref="RunBlock"/> is given
    /// <paramref name="x"/>: x, or for a hierarchical family the patch merging(s) of x where the block's stage
    /// starts (block influence compares a block's own input and output). May return x itself.</summary>
    public virtual Tensor BlockInput(int i, Tensor x) => x;

    /// <summary>The feature the head would read from these tokens, before the final norm: [batch, <see cref="FeatureWidth"/>]
    /// (a hierarchical family's narrower stages zero-padded).</summary>
    public abstract Tensor BlockFeature(Tensor tokens);

    /// <summary>Final norm, pooling, pre-logits and head: logits from a block's output tokens.</summary>
    public abstract Tensor Head(Tensor tokens);

    /// <summary>FLOPs per image (2 x multiply-accumulates of every matrix product and convolution, PETL modules
    /// included, at each block's own width; norms, softmax and activations not counted, as fvcore).</summary>
    public long FlopsPerImage() => FlopsOfLeading(Depth);

    /// <summary>The FLOPs per image of the model cut after its first <paramref name="blocks"/> blocks (as
    /// <see cref="FlopsPerImage"/> counts them, which is this for every block): what <c>sls eval</c> prints for an index
    /// keeping blocks 1..<paramref name="blocks"/>.</summary>
    public abstract long FlopsOfLeading(int blocks);

    /// <summary>The parameters of the model cut after its first <paramref name="blocks"/> blocks: every parameter but
    /// those of blocks <paramref name="blocks"/>+1 on (<see cref="BlockKey"/>; a block's PETL modules are its own).</summary>
    public long ParametersOfLeading(int blocks)
    {
        if (blocks < 0 || blocks > Depth) throw new ArgumentOutOfRangeException(nameof(blocks), $"model has {Depth} blocks");
        return named_parameters().Where(p => BlockKey.Parse(p.name) is not { } b || b.Block < blocks).Sum(p => p.parameter.numel());
    }

    /// <summary>About the most bytes one image's activations take in a block (float32: attention scores, the MLP's
    /// hidden layer, the tokens), which a batch multiplies: what <see cref="ActivationBudget"/> bounds before a run.</summary>
    public abstract long ActivationBytesPerImage();

    /// <summary>Re-initialises every PETL module as its reference code does before training.</summary>
    public abstract void ResetAdapters();

    /// <summary>Why a standalone checkpoint of this model (its state dict, blocks renumbered) would not rebuild it;
    /// null when it does.</summary>
    public virtual string? StandaloneCheckpointLimit => null;

    /// <summary>The limit width-pruned families share: a checkpoint's shapes give whole heads of the full head dim, so
    /// heads narrowed to fewer dimensions would read back as other heads (<paramref name="model"/>: "a ViT", ...).</summary>
    protected static string? HeadDimsLimit(IEnumerable<BlockWidth?> widths, string model) => widths.Any(w => w?.HeadDims is not null)
        ? $"{model} whose heads keep fewer dimensions would read back from its tensor shapes as a model of other heads; export it with --format onnx"
        : null;

    /// <summary>What an exported file must say for this family to be rebuilt exactly (beyond the tensor shapes).</summary>
    public virtual IReadOnlyDictionary<string, string> ExportMetadata() => new Dictionary<string, string>();

    /// <summary>The model's inference forward pass written into <paramref name="g"/> (export): images to logits.</summary>
    /// <exception cref="NotSupportedException">when the family has no graph form yet.</exception>
    public virtual GraphValue EmitGraph(IGraph g, GraphValue images) => throw new NotSupportedException($"the {Family} family cannot be exported "
        + $"as a graph yet");

    /// <summary>Logits from all blocks.</summary>
    public override Tensor forward(Tensor images) => ForwardFirst(images, Depth);

    /// <summary>Logits from running only the first <paramref name="k"/> blocks.</summary>
    public Tensor ForwardFirst(Tensor images, int k)
    {
        if (k < 0 || k > Depth) throw new ArgumentOutOfRangeException(nameof(k), $"model has {Depth} blocks");
        using var scope = torch.NewDisposeScope(); // each block's input is freed once the next exists
        var x = Embed(images);
        for (int i = 0; i < k; i++)
        {
            var next = RunBlock(i, x);
            x.Dispose();
            x = next;
        }
        return Head(x).MoveToOuterDisposeScope();
    }

    /// <summary>One pass: the feature after each block in <paramref name="indices"/> (0-based, ascending; null: every
    /// block), [indices, batch, width], and the logits of the whole model; with <paramref name="stopEarly"/> the pass
    /// ends at the last index asked for and there are no logits.</summary>
    public (Tensor Features, Tensor? Logits) ForwardIntermediates(Tensor images, IReadOnlyList<int>? indices = null, bool stopEarly = false)
    {
        var wanted = indices ?? Enumerable.Range(0, Depth).ToArray();
        if (wanted.Any(i => i < 0 || i >= Depth) || wanted.Zip(wanted.Skip(1)).Any(p => p.First >= p.Second))
            throw new ArgumentException($"indices must be ascending and within 0..{Depth - 1}", nameof(indices));
        int last = stopEarly ? (wanted.Count == 0 ? 0 : wanted[^1] + 1) : Depth;
        using var scope = torch.NewDisposeScope();
        var x = Embed(images);
        var features = new List<Tensor>();
        int next = 0;
        for (int i = 0; i < last; i++)
        {
            var y = RunBlock(i, x);
            x.Dispose();
            x = y;
            if (next < wanted.Count && wanted[next] == i)
            {
                features.Add(BlockFeature(x).clone()); // a copy, so the block's whole token tensor can be freed
                next++;
            }
        }
        var stacked = features.Count > 0 ? torch.stack(features) : torch.empty(0, images.shape[0], FeatureWidth, device: images.device,
            dtype: x.dtype);
        return (stacked.MoveToOuterDisposeScope(), stopEarly ? null : Head(x).MoveToOuterDisposeScope());
    }

    /// <summary>One pass: every block's feature [depth, batch, width] and, after every block, the class the model cut
    /// there predicts (the head on that block's output, as <see cref="ForwardFirst"/> of that depth gives it)
    /// [depth, batch]: the accuracy of every depth without retraining, for the cost of the heads.</summary>
    public (Tensor Features, Tensor Predictions) ForwardEveryDepth(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var x = Embed(images);
        var features = new List<Tensor>(Depth);
        var predictions = new List<Tensor>(Depth);
        for (int i = 0; i < Depth; i++)
        {
            var y = RunBlock(i, x);
            x.Dispose();
            x = y;
            features.Add(BlockFeature(x).clone());
            predictions.Add(Head(x).argmax(1));
        }
        return (torch.stack(features).MoveToOuterDisposeScope(), torch.stack(predictions).MoveToOuterDisposeScope());
    }
}
