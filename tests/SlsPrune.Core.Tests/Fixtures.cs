using SlsPrune.Core.Checkpoints;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>Paths to the committed fixtures (copied beside the test assembly) and the reference values.</summary>
internal static class Fixtures
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "fixtures", "parity");

    public static string File(string name) => Path.Combine(Dir, name);

    /// <summary>The shipped model's folder (models/fmnist-vit8 of the repository).</summary>
    public static string Shipped => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "models", "fmnist-vit8"));

    /// <summary>The shipped backbone with the structured-location task's Convpass weights, on the CPU.</summary>
    public static ModelOptions ShippedModel => new(Path.Combine(Shipped, "backbone.safetensors"), Path.Combine(Shipped,
        "structured-location.convpass.safetensors"), Device: "cpu");

    /// <summary>Tensors written by scripts/make_parity_fixtures.py with PyTorch.</summary>
    public static Dictionary<string, torch.Tensor> Expected()
    {
        using var f = SafetensorsFile.Open(File("expected.safetensors"));
        return CheckpointFile.ReadAll(f);
    }

    public static IReadOnlyDictionary<string, string> ExpectedMetadata()
    {
        using var f = SafetensorsFile.Open(File("expected.safetensors"));
        return f.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    /// <summary>Max absolute difference relative to the reference's largest magnitude.</summary>
    public static double RelativeError(torch.Tensor actual, torch.Tensor expected)
    {
        using var scope = torch.NewDisposeScope();
        var a = actual.to(torch.float64).cpu();
        var e = expected.to(torch.float64).cpu();
        Assert.Equal(e.shape, a.shape);
        double scale = Math.Max(e.abs().max().item<double>(), 1e-12);
        return (a - e).abs().max().item<double>() / scale;
    }

    /// <summary>Same dtype, shape and every element.</summary>
    public static bool Same(torch.Tensor a, torch.Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && (a.numel() == 0 || a.eq(b).all().item<bool>());

    /// <summary>A copy of a fixture in a fresh temporary folder, for tests that damage it.</summary>
    public static string TempCopy(string name, out string dir)
    {
        dir = Directory.CreateTempSubdirectory("sls-test-").FullName;
        string dest = Path.Combine(dir, name);
        System.IO.File.Copy(File(name), dest);
        return dest;
    }

    /// <summary>The ViT a built model is (every fixture model is one).</summary>
    public static VisionTransformer Vit(BuiltModel model) => (VisionTransformer)model.Model;
}
