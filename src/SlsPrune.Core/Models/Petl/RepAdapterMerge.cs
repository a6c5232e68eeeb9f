using SlsPrune.Core.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl;

/// <summary>
/// Re-parameterises RepAdapter for inference, as a state-dict converter. The adapter is affine,
/// <c>y = M x + c</c> with <c>M = I + s W_B W_A</c> and <c>c = s (W_B b_A + b_B)</c> (W_B expanded from its
/// groups to a block-diagonal matrix), so the layer after it absorbs it: <c>W' = W M</c>, <c>b' = W c + b</c>.
/// <c>adapter_attn</c> merges into <c>attn.qkv</c>, <c>adapter_mlp</c> into <c>mlp.fc1</c>; the result loads
/// into a model built with <see cref="PetlMethods.Linear"/> (no adapters).
/// </summary>
public static class RepAdapterMerge
{
    public static Dictionary<string, Tensor> Merge(IReadOnlyDictionary<string, Tensor> stateDict, PetlSettings petl, int depth)
    {
        if (petl.Method is not Methods.RepAdapterMethod) throw new ArgumentException("only RepAdapter weights merge", nameof(petl));
        var result = stateDict.Where(kv => !kv.Key.Contains(".adapter_attn.", StringComparison.Ordinal) && !kv.Key.Contains(".adapter_mlp.",
            StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        using var _ = torch.no_grad();
        for (int i = 0; i < depth; i++)
        {
            MergeInto(stateDict, result, BlockKey.Name(i, "adapter_attn"), BlockKey.Name(i, "attn.qkv"), petl);
            MergeInto(stateDict, result, BlockKey.Name(i, "adapter_mlp"), BlockKey.Name(i, "mlp.fc1"), petl);
        }
        return result;
    }

    private static void MergeInto(IReadOnlyDictionary<string, Tensor> sd, Dictionary<string, Tensor> result, string adapter, string layer,
        PetlSettings petl)
    {
        // every intermediate held until the merged weights are made (Runtime/TensorValues says why)
        using var scope = torch.NewDisposeScope();
        var wa = sd[$"{adapter}.conv_A.weight"].squeeze(-1).to(float64);   // [h, d]
        var ba = sd[$"{adapter}.conv_A.bias"].to(float64);                 // [h]
        var wbGrouped = sd[$"{adapter}.conv_B.weight"].squeeze(-1).to(float64); // [d, h/g]
        var bb = sd[$"{adapter}.conv_B.bias"].to(float64);                 // [d]
        long d = wbGrouped.shape[0], hPerGroup = wbGrouped.shape[1], groups = petl.Groups;
        long dPerGroup = d / groups;
        var wb = torch.zeros(d, hPerGroup * groups, float64);
        for (long g = 0; g < groups; g++)
            wb[TensorIndex.Slice(g * dPerGroup, (g + 1) * dPerGroup), TensorIndex.Slice(g * hPerGroup, (g + 1) * hPerGroup)] =
                wbGrouped[TensorIndex.Slice(g * dPerGroup, (g + 1) * dPerGroup)];
        var m = torch.eye(d, dtype: float64) + petl.Scale * wb.matmul(wa);
        var c = petl.Scale * (wb.matmul(ba) + bb);
        var w = sd[$"{layer}.weight"];
        var b = sd[$"{layer}.bias"];
        result[$"{layer}.weight"] = w.to(float64).matmul(m).to(w.dtype).MoveToOuterDisposeScope();
        result[$"{layer}.bias"] = (w.to(float64).matmul(c) + b.to(float64)).to(b.dtype).MoveToOuterDisposeScope();
    }
}
