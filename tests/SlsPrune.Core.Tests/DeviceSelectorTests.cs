using SlsPrune.Core.Runtime;
using TorchSharp;

namespace SlsPrune.Core.Tests;

public class DeviceSelectorTests
{
    [Fact]
    public void Cpu_and_auto_resolve_and_unknown_names_are_input_errors()
    {
        Assert.Equal(DeviceType.CPU, DeviceSelector.Resolve("cpu").type);
        Assert.Equal(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, DeviceSelector.Resolve("AUTO").type);
        var e = Assert.Throws<SlsInputException>(() => DeviceSelector.Resolve("tpu"));
        Assert.Equal("--device", e.Subject);
        Assert.Contains("'tpu'", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_without_a_gpu_is_an_input_error_not_a_crash()
    {
        if (torch.cuda.is_available())
        {
            Assert.Equal(DeviceType.CUDA, DeviceSelector.Resolve("cuda").type);
            return;
        }
        var e = Assert.Throws<SlsInputException>(() => DeviceSelector.Resolve("cuda"));
        Assert.Contains("SlsTorchBackend=cuda", e.Message, StringComparison.Ordinal);
    }
}
