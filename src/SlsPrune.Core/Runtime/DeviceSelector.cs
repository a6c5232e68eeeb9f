using TorchSharp;

namespace SlsPrune.Core.Runtime;

/// <summary>Resolves <c>--device auto|cpu|cuda</c> to a TorchSharp device.</summary>
public static class DeviceSelector
{
    public static readonly string[] Choices = ["auto", "cpu", "cuda"];

    /// <exception cref="SlsInputException">for an unknown name, or cuda where no CUDA device is usable.</exception>
    public static torch.Device Resolve(string name)
    {
        switch (name.ToLowerInvariant())
        {
            case "auto":
                return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
            case "cpu":
                return torch.CPU;
            case "cuda":
                if (!torch.cuda.is_available())
                    throw new SlsInputException("--device", "cuda was requested but no CUDA device is available (this build uses the CPU libtorch unless built with -p:SlsTorchBackend=cuda)");
                return torch.CUDA;
            default:
                throw new SlsInputException("--device", $"unknown device '{name}' (expected auto, cpu or cuda)");
        }
    }
}
