using System.Runtime.InteropServices;

namespace SlsPrune.Core.Runtime;

/// <summary>
/// Points TorchSharp at the libtorch of an installed PyTorch. A build without a libtorch package
/// (<c>-p:SlsTorchBackend=external</c>) ships only TorchSharp's own native library; the environment variable
/// <c>SLS_LIBTORCH</c> names the folder with PyTorch's shared libraries (its <c>torch/lib</c>). They are
/// loaded by full path, dependencies first (CUDA's too, where the folder has them), and then TorchSharp's
/// library, whose own dependencies the loader then finds already loaded. A library that does not fit
/// (a missing symbol, say) fails here with the loader's message, which names it.
/// </summary>
public static class NativeBackend
{
    public const string Variable = "SLS_LIBTORCH";

    private static readonly string[] LinuxOrder = ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"];
    private static readonly string[] WindowsOrder = ["c10.dll", "torch_cpu.dll", "c10_cuda.dll", "torch_cuda.dll", "torch.dll"];
    private static readonly string[] MacOrder = ["libc10.dylib", "libtorch_cpu.dylib", "libtorch.dylib"];

    /// <summary>Loads the folder <c>SLS_LIBTORCH</c> names, if it is set; returns it, or null.</summary>
    /// <exception cref="InvalidOperationException">when the folder or a library in it cannot be loaded.</exception>
    public static string? LoadFromEnvironment()
    {
        string? dir = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(dir)) return null;
        Load(dir);
        return dir;
    }

    /// <exception cref="InvalidOperationException">when the folder or a library in it cannot be loaded.</exception>
    public static void Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new InvalidOperationException($"{Variable}={dir}: no such folder (it should name PyTorch's torch/lib)");
        var (order, sharp) = OperatingSystem.IsWindows() ? (WindowsOrder, "LibTorchSharp.dll")
            : OperatingSystem.IsMacOS() ? (MacOrder, "libLibTorchSharp.dylib") : (LinuxOrder, "libLibTorchSharp.so");
        var present = order.Select(n => Path.Combine(dir, n)).Where(File.Exists).ToList();
        if (!present.Any(p => Path.GetFileName(p).Contains("torch_cpu", StringComparison.Ordinal)))
            throw new InvalidOperationException($"{Variable}={dir}: no {order[1]} there (it should name PyTorch's torch/lib)");
        foreach (var path in present) LoadOne(path);
        LoadOne(Path.Combine(AppContext.BaseDirectory, sharp));
    }

    private static void LoadOne(string path)
    {
        try
        {
            NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException($"{Variable}: cannot load {path}: {e.Message}", e);
        }
    }
}
