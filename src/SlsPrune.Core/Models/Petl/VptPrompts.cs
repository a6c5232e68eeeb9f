using SlsPrune.Core.Models.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl;

/// <summary>VPT-deep's prompts for one block (<c>blocks.{i}.prompt_embeddings</c>, [1, prompts, width]), placed
/// after the cls token with dropout 0.1: the first block inserts them, later blocks replace the previous block's
/// outputs at those places.</summary>
public sealed class VptPrompts : TokenSlot
{
    private const string Name = "prompt_embeddings";
    private readonly bool _firstBlock;
    private readonly int _initFanSum;

    public VptPrompts(int prompts, int width, int patchSize, bool firstBlock)
    {
        _firstBlock = firstBlock;
        _initFanSum = 3 * patchSize * patchSize + width;
        Parameters = new Dictionary<string, Parameter> { [Name] = new Parameter(torch.zeros(1, prompts, width)) };
    }

    public override IReadOnlyDictionary<string, Parameter> Parameters { get; }

    public override Tensor Apply(Tensor tokens, bool training, Func<string, Tensor> parameter)
    {
        var x = tokens;
        var prompts = parameter(Name);
        var rest = _firstBlock ? x[.., 1..] : x[.., (int)(1 + prompts.shape[1])..];
        var p = nn.functional.dropout(prompts.expand(x.shape[0], -1, -1), 0.1, training);
        return torch.cat([x[.., ..1], p, rest], 1);
    }

    /// <summary>VPT's initialisation: uniform in +-sqrt(6 / (3 * patch^2 + width)).</summary>
    public override void Reset(Func<string, Tensor> parameter)
    {
        using var _ = torch.no_grad();
        double bound = Math.Sqrt(6.0 / _initFanSum);
        nn.init.uniform_(parameter(Name), -bound, bound);
    }

    /// <summary><see cref="Apply"/> at inference in an exported graph; <paramref name="prompts"/> names the block's
    /// <c>prompt_embeddings</c> of shape [1, <paramref name="count"/>, <paramref name="width"/>].</summary>
    public static GraphValue Emit(IGraph g, string prompts, long count, long width, GraphValue x, bool firstBlock)
    {
        var p = g.ExpandToBatch(g.Weight(prompts), x, count, width);
        return g.Concat(1, g.Slice(x, 1, 0, 1), p, g.Slice(x, 1, firstBlock ? 1 : 1 + count));
    }
}
