using TorchSharp;

namespace SlsPrune.Core.Runtime;

/// <summary>Resolves <c>--device auto|cpu|cuda</c> to a TorchSharp device. On CUDA, float32 stays float32:
/// TF32 is turned off for cuBLAS and cuDNN (PyTorch leaves it on for cuDNN's convolutions, which moves
/// features by about 1e-3 relative); bf16 / fp16 are asked for with <c>--precision</c>.</summary>
public static class DeviceSelector
{
    public static readonly string[] Choices = ["auto", "cpu", "cuda"];

    /// <exception cref="SlsInputException">for an unknown name, or cuda where no CUDA device is usable.</exception>
    /// <remarks>Also gives libtorch the thread count asked for (<see cref="ThreadBudget.ApplyToTorch"/>): every runner that
    /// computes with tensors picks its device here first.</remarks>
    public static torch.Device Resolve(string name)
    {
        ThreadBudget.ApplyToTorch();
        switch (name.ToLowerInvariant())
        {
            case "auto":
                return torch.cuda.is_available() ? Cuda() : torch.CPU;
            case "cpu":
                return torch.CPU;
            case "cuda":
                if (!torch.cuda.is_available())
                    throw new SlsInputException("--device", "cuda was requested but no CUDA device is available (this build uses the CPU libtorch "
                        + "unless built with -p:SlsTorchBackend=cuda)");
                return Cuda();
            default:
                throw new SlsInputException("--device", $"unknown device '{name}' (expected auto, cpu or cuda)");
        }
    }

    private static torch.Device Cuda()
    {
        torch.backends.cuda.matmul.allow_tf32 = false;
        torch.backends.cudnn.allow_tf32 = false;
        return torch.CUDA;
    }
}
