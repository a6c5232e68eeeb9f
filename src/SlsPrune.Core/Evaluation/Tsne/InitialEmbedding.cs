using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Evaluation.Tsne;

/// <summary>sklearn's t-SNE initialisation. 'pca': the first two principal components (scores U*S with
/// svd_flip's sign rule: the largest-magnitude entry of each U column is positive), as float32, scaled so the
/// first column has standard deviation 1e-4. 'random': N(0, 1e-4) from the seed.</summary>
public static class InitialEmbedding
{
    /// <param name="x">[layers, n, d].</param>
    /// <returns>[layers, n, 2] float32 on the device of <paramref name="x"/>.</returns>
    public static Tensor Create(Tensor x, string init, int seed)
    {
        long layers = x.shape[0], n = x.shape[1];
        if (init == "random")
        {
            using var g = new Generator((ulong)seed, torch.CPU);
            return (torch.randn([layers, n, 2], generator: g) * 1e-4f).to(float32).to(x.device);
        }
        if (init != "pca") throw new ArgumentException($"unknown t-SNE init '{init}' (pca or random)");
        using var scope = torch.NewDisposeScope();
        var xd = x.to(float64);
        var centred = xd - xd.mean([1], keepdim: true);
        var (u, s, _) = torch.linalg.svd(centred, fullMatrices: false);
        var u2 = u[.., .., ..2];
        // svd_flip (u-based): make the largest |u| in each column positive
        var maxIdx = u2.abs().argmax(1, keepdim: true);
        var signs = u2.gather(1, maxIdx).sign();
        var scores = (u2 * signs * s[.., ..2].unsqueeze(1)).to(float32);
        var std = scores[.., .., 0].std(1, unbiased: false, keepdim: true).unsqueeze(2);
        return (scores / std * 1e-4f).MoveToOuterDisposeScope();
    }
}
