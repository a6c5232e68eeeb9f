using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary><c>--precision</c>: the model in bfloat16 / float16 against PyTorch's float64 reference forward
/// (scripts/make_parity_fixtures.py). Close to it at the type's resolution, and measurably not float32.</summary>
public class PrecisionTests
{
    [Theory]
    [InlineData("bf16", torch.ScalarType.BFloat16, 3e-2, "convpass")]
    [InlineData("fp16", torch.ScalarType.Float16, 4e-3, "convpass")]
    // VPT's prompts are read from the block at each forward: a dtype move replaces (and frees) the registered tensor
    [InlineData("bf16", torch.ScalarType.BFloat16, 3e-2, "vpt")]
    [InlineData("fp16", torch.ScalarType.Float16, 4e-3, "vpt")]
    public void Reduced_precision_stays_near_the_reference(string name, torch.ScalarType type, double tolerance, string method)
    {
        var expected = Fixtures.Expected();
        var precision = Precisions.Parse(name);
        var loaded = ModelFactory.Build(new ModelOptions(Fixtures.File("backbone.safetensors"), Fixtures.File($"{method}.safetensors"), Heads: 3,
            Precision: precision));
        Assert.All(loaded.Model.parameters(), p => Assert.Equal(type, p.dtype));
        using var _ = torch.no_grad();
        var (cls, logits) = loaded.Model.ForwardIntermediates(expected["images"]); // float32 images, cast inside
        Assert.Equal(type, logits!.dtype);
        double logitsError = Fixtures.RelativeError(logits.to(torch.float32), expected[$"{method}.logits"]);
        double clsError = Fixtures.RelativeError(cls.to(torch.float32), expected[$"{method}.cls"]);
        Assert.InRange(logitsError, 1e-5, tolerance); // above float32's 1e-5 parity: it did run in the reduced type
        Assert.InRange(clsError, 1e-5, tolerance);
    }

    [Fact]
    public void Names_parse_and_unknown_ones_are_input_errors()
    {
        Assert.Equal(Precision.Fp32, Precisions.Parse("fp32"));
        Assert.Equal(Precision.Bf16, Precisions.Parse("BFloat16"));
        Assert.Equal(Precision.Fp16, Precisions.Parse("half"));
        Assert.Equal("bf16", Precision.Bf16.Name());
        var e = Assert.Throws<SlsInputException>(() => Precisions.Parse("fp8"));
        Assert.Contains("fp8", e.Message, StringComparison.Ordinal);
    }
}
