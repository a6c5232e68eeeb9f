using SlsPrune.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>How a width method ranks heads and MLP units.</summary>
public enum WidthCriterion { Taylor, L1, L2, Random }

/// <summary>Importance of one block's heads [heads], MLP hidden units [mlp] and head dimensions [head dim] (a
/// dimension's group is that dimension of q, k and v in every head, and the matching proj columns).</summary>
public sealed record BlockImportance(double[] Heads, double[] Units, double[] HeadDims);

/// <summary>
/// Group importance in the style of DepGraph / Torch-Pruning: a head's group is its q, k and v rows of qkv
/// (weights and biases) and its columns of proj; a hidden unit's group is its row of fc1 (and bias) and its
/// column of fc2. Taylor sums |w * grad| over the group (gradients accumulated over the calibration batches),
/// L1 sums |w|, L2 is the group's Euclidean norm; random draws uniform scores from the seed. Adapters, norms,
/// output biases and the head are never in a group; nor is a Swin head's column of the relative position bias
/// table (it goes with the head, unscored, so both families rank the same groups).
/// </summary>
public static class WidthImportance
{
    public static string Name(WidthCriterion c) => c.ToString().ToLowerInvariant();

    /// <summary>The four weights of a block a group spans, and (Taylor) their gradients, keyed qkv.weight,
    /// qkv.bias, proj.weight, fc1.weight, fc1.bias, fc2.weight; <paramref name="sizes"/>: the block's full sizes.</summary>
    public static BlockImportance Score(IReadOnlyDictionary<string, Tensor> w, IReadOnlyDictionary<string, Tensor>? grads, WidthCriterion criterion,
        BlockSizes sizes, Random? random = null)
    {
        int heads = sizes.Heads, mlp = sizes.MlpHidden, width = sizes.Width;
        if (criterion == WidthCriterion.Random)
        {
            var rng = random ?? throw new ArgumentNullException(nameof(random));
            return new BlockImportance(Enumerable.Range(0, heads).Select(_ => rng.NextDouble()).ToArray(), Enumerable.Range(0, mlp).Select(_ =>
                rng.NextDouble()).ToArray(),
                Enumerable.Range(0, width / heads).Select(_ => rng.NextDouble()).ToArray());
        }
        using var scope = torch.NewDisposeScope();
        Tensor E(string k)
        {
            var t = w[k].detach().to(float64).cpu();
            return criterion switch
            {
                WidthCriterion.Taylor => (t * (grads ?? throw new ArgumentNullException(nameof(grads)))[k].detach().to(float64).cpu()).abs(),
                WidthCriterion.L1 => t.abs(),
                _ => t.square(),
            };
        }
        // [heads, head dim]: each (head, dimension)'s q, k, v rows and proj column
        var cell = E("qkv.weight").sum(dim: 1).add(E("qkv.bias")).reshape(3, heads, width / heads).sum(dim: 0)
            + E("proj.weight").sum(dim: 0).reshape(heads, width / heads);
        var headScore = cell.sum(dim: 1);
        var dimScore = cell.sum(dim: 0);
        var unitScore = E("fc1.weight").sum(dim: 1) + E("fc1.bias") + E("fc2.weight").sum(dim: 0);
        if (criterion == WidthCriterion.L2)
        {
            headScore = headScore.sqrt();
            dimScore = dimScore.sqrt();
            unitScore = unitScore.sqrt();
        }
        return new BlockImportance(headScore.data<double>().ToArray(), unitScore.data<double>().ToArray(), dimScore.data<double>().ToArray());
    }

    /// <summary>The <paramref name="keep"/> highest scores' indices, ascending (ties: the lower index wins).</summary>
    public static int[] Top(double[] scores, int keep) => Ranking(scores).Take(keep).Order().ToArray();

    /// <summary>Every index, the most important first (ties: the lower index first): <see cref="Top"/> takes its head.</summary>
    public static int[] Ranking(double[] scores) =>
        scores.Select((s, i) => (s, i)).OrderByDescending(p => p.s).ThenBy(p => p.i).Select(p => p.i).ToArray();

    /// <summary>How many of <paramref name="total"/> a uniform pruning ratio keeps (at least one).</summary>
    public static int Kept(int total, double ratio) => Math.Max(1, (int)Math.Round(total * (1 - ratio), MidpointRounding.AwayFromZero));
}
