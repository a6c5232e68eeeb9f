using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>
/// Linear CKA (Kornblith et al. 2019) between representations X [n, p] and Y [n, q] of the same n inputs:
/// ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F) with Xc, Yc centred per feature. As a layer scorer, block
/// i's importance is 1 - CKA(cls after block i-1, cls after block i): a block whose output is a linear
/// re-coding of its input adds little. Block 1's input cls token is the same for every image (CKA undefined);
/// it counts as fully important.
/// </summary>
public static class LinearCka
{
    public static double Compute(Tensor x, Tensor y)
    {
        if (x.shape[0] != y.shape[0]) throw new ArgumentException("X and Y must hold the same inputs");
        using var scope = torch.NewDisposeScope();
        var a = x.to(float64);
        var b = y.to(float64);
        a = a - a.mean([0], keepdim: true);
        b = b - b.mean([0], keepdim: true);
        double cross = b.t().matmul(a).square().sum().item<double>();
        double xx = a.t().matmul(a).norm().item<double>(), yy = b.t().matmul(b).norm().item<double>();
        return xx == 0 || yy == 0 ? 0 : cross / (xx * yy);
    }

    /// <summary>Importance of each block from the cls features [depth, n, width]: 1 - CKA with the previous block's.</summary>
    public static double[] BlockImportance(Tensor features)
    {
        int depth = (int)features.shape[0];
        var imp = new double[depth];
        imp[0] = 1;
        for (int i = 1; i < depth; i++)
        {
            using var prev = features[i - 1];
            using var cur = features[i];
            imp[i] = 1 - Compute(prev, cur);
        }
        return imp;
    }
}
