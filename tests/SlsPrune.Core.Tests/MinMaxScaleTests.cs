using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Pruning;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>Production min-max scaling against scikit-learn's MinMaxScaler (scripts/make_minmax_fixtures.py).</summary>
public class MinMaxScaleTests
{
    private static readonly Lazy<Dictionary<string, torch.Tensor>> Expected = new(() =>
    {
        using var f = SafetensorsFile.Open(Path.Combine(AppContext.BaseDirectory, "fixtures", "minmax", "minmax.safetensors"));
        return CheckpointFile.ReadAll(f);
    });

    [Theory]
    [InlineData("mixed")]      // includes constant columns (3.25, 0 and -7.5): sklearn maps them to 0
    [InlineData("embedding")]
    [InlineData("one_row")]    // a single sample: every column is constant
    public void Equals_sklearn_min_max_scaler_in_float64(string name)
    {
        var x = Expected.Value[$"{name}.x"];
        var expected = Expected.Value[$"{name}.expected"];
        Assert.Equal(torch.ScalarType.Float64, x.dtype);
        using var scaled = FeatureEvaluation.MinMaxScale(x);
        Assert.Equal(torch.ScalarType.Float64, scaled.dtype);
        Assert.Equal(expected.shape, scaled.shape);
        Assert.InRange((scaled - expected).abs().max().item<double>(), 0, 1e-12);
    }
}
