using System.Runtime.InteropServices;

namespace SlsPrune.Cli;

/// <summary>
/// glibc's malloc told to keep the memory a command frees for its next allocations, rather than give it back to the
/// kernel and fault it in again. By default glibc serves blocks from 128 KiB up (the threshold grows as they are freed)
/// with their own mappings and returns the top of its heaps once 128 KiB of it (twice the threshold) is free: libtorch's
/// tensors of a few megabytes (a batch's activations, a layer's distances) are mapped, faulted in page by page, unmapped
/// and mapped again. With blocks up to 32 MiB served from the heaps and 64 MiB of free top kept, the shipped model's prune
/// takes about 55,000 page faults instead of 75,000-85,000 (docs/BENCHMARKS.md). Both values are set together: either
/// alone turns off glibc's adjustment of the other and makes things worse. Linux with glibc only; the CLI only (a
/// library should not change its host's allocator); <c>SLS_MALLOC_DEFAULTS=1</c> keeps glibc's defaults.
/// </summary>
internal static class MallocSettings
{
    public const string Variable = "SLS_MALLOC_DEFAULTS";
    public const int MmapThreshold = 32 << 20, TrimThreshold = 64 << 20;
    private const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);

    /// <summary>Sets both thresholds; true where glibc took them (false off Linux, with the variable set, or on a C
    /// library without <c>mallopt</c> or that refuses the values).</summary>
    public static bool Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) == "1") return false;
        try
        {
            return Mallopt(M_MMAP_THRESHOLD, MmapThreshold) == 1 && Mallopt(M_TRIM_THRESHOLD, TrimThreshold) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
