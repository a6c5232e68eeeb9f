using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Fem.Tsne;

/// <summary>sklearn's t-SNE initialisation. 'pca': the first two principal components (scores U*S with
/// svd_flip's sign rule: the largest-magnitude entry of each U column is positive), as float32, scaled so the
/// first column has standard deviation 1e-4. 'random': N(0, 1e-4) from the seed.</summary>
public static class InitialEmbedding
{
    /// <param name="x">[layers, n, d].</param>
    /// <param name="firstLayer">the first layer's index in the whole stack: layer l's draws follow those of the layers
    /// before it, as when they are all fitted together.</param>
    /// <returns>[layers, n, 2] float32 on the device of <paramref name="x"/>.</returns>
    public static Tensor Create(Tensor x, string init, int seed, int firstLayer = 0)
    {
        long layers = x.shape[0], n = x.shape[1];
        if (init == "random")
        {
            var rng = new Random(seed);
            for (long i = 0; i < firstLayer * n * 2; i++) Gaussian(rng);
            var v = new float[layers * n * 2];
            for (int i = 0; i < v.Length; i++)
                v[i] = (float)(1e-4 * Math.Sqrt(-2.0 * Math.Log(1.0 - rng.NextDouble())) * Math.Cos(2.0 * Math.PI * rng.NextDouble()));
            return torch.tensor(v, [layers, n, 2]).to(x.device);
        }
        if (init != "pca") throw new ArgumentException($"unknown t-SNE init '{init}' (pca or random)");
        using var scope = torch.NewDisposeScope();
        var xd = x.to(float64);
        var centred = xd - xd.mean([1], keepdim: true);
        var (u2, s2) = TopTwo(centred, seed, firstLayer);
        // svd_flip (u-based): make the largest |u| in each column positive
        var maxIdx = u2.abs().argmax(1, keepdim: true);
        var signs = u2.gather(1, maxIdx).sign();
        var scores = (u2 * signs * s2.unsqueeze(1)).to(float32);
        var std = scores[.., .., 0].std(1, unbiased: false, keepdim: true).unsqueeze(2);
        return (scores / std * 1e-4f).MoveToOuterDisposeScope();
    }

    /// <summary>The two leading left singular vectors and values of each [n, d] matrix, by a randomized range
    /// finder as sklearn's PCA(svd_solver='randomized') uses: 10 oversamples, 7 power iterations (QR
    /// normalised), then an exact SVD of the small projected matrix.</summary>
    private static (Tensor U, Tensor S) TopTwo(Tensor a, int seed, int firstLayer)
    {
        long layers = a.shape[0], d = a.shape[2];
        const int k = 2 + 10;
        if (d <= k || a.shape[1] <= k)
        {
            var (uf, sf, _) = torch.linalg.svd(a, fullMatrices: false);
            return (uf[.., .., ..2], sf[.., ..2]);
        }
        // The random test matrix comes from a seeded .NET generator: independent of torch's global RNG state.
        var rng = new Random(seed);
        for (long i = 0; i < firstLayer * d * k; i++) Gaussian(rng);
        var gauss = new double[layers * d * k];
        for (int i = 0; i < gauss.Length; i++) gauss[i] = Gaussian(rng);
        var omega = torch.tensor(gauss, [layers, d, k]).to(a.device);
        var q = torch.linalg.qr(a.matmul(omega)).Q;
        var at = a.transpose(1, 2);
        for (int i = 0; i < 7; i++)
        {
            q = torch.linalg.qr(at.matmul(q)).Q;
            q = torch.linalg.qr(a.matmul(q)).Q;
        }
        var b = q.transpose(1, 2).matmul(a);                 // [layers, k, d]
        var (ub, s, _) = torch.linalg.svd(b, fullMatrices: false);
        return (q.matmul(ub)[.., .., ..2], s[.., ..2]);
    }

    /// <summary>One standard normal draw (Box-Muller, two uniforms).</summary>
    private static double Gaussian(Random rng) => Math.Sqrt(-2.0 * Math.Log(1.0 - rng.NextDouble())) * Math.Cos(2.0 * Math.PI * rng.NextDouble());
}
