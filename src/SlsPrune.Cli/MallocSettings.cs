using System.Globalization;
using System.Runtime.InteropServices;

namespace SlsPrune.Cli;

/// <summary>
/// glibc's malloc told to keep the memory a command frees for its next allocations, and its main heap backed by
/// transparent huge pages, so that memory is faulted in 2 MiB at a time rather than 4 KiB.
/// <list type="bullet">
/// <item>By default glibc serves blocks from 128 KiB up (the threshold grows as they are freed) with their own mappings
/// and returns the top of its heaps once twice that is free: libtorch's tensors of a few megabytes (a batch's
/// activations, a layer's distances) were mapped, faulted in page by page, unmapped and mapped again. Blocks up to 32 MiB
/// are now served from the heaps and 64 MiB of free top is kept. Both values are set together: either alone turns off
/// glibc's adjustment of the other and makes things worse.</item>
/// <item>The main heap grows 256 MiB at a time (address space only: memory is taken as it is touched) and its first 256
/// MiB, reserved here before libtorch loads, is marked <c>MADV_HUGEPAGE</c>; libtorch's static initialisers (thousands
/// of operator registrations) and what the main thread allocates then fault in huge pages where the kernel has them to
/// give (transparent huge pages in "madvise" or "always" mode).</item>
/// </list>
/// The shipped model's prune takes about 28,000 page faults, against 52,000-61,000 with the thresholds alone and
/// 72,000-94,000 with glibc's defaults, and where faults are dear (a virtual machine) 0.2 s less (docs/BENCHMARKS.md).
/// Linux with glibc only; the CLI only (a library should not change its host's allocator); <c>SLS_MALLOC_DEFAULTS=1</c>
/// keeps glibc's defaults.
/// </summary>
internal static class MallocSettings
{
    public const string Variable = "SLS_MALLOC_DEFAULTS";
    public const int MmapThreshold = 32 << 20, TrimThreshold = 64 << 20, TopPad = 256 << 20;
    private const int M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2, M_MMAP_THRESHOLD = -3, MADV_HUGEPAGE = 14;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(nint addr, nuint length, int advice);

    /// <summary>Sets the thresholds and the heap's growth and marks the heap; <see cref="Applied"/> says whether glibc took
    /// the settings (not off Linux, with the variable set, or on a C library without <c>mallopt</c> or that refuses the
    /// values). Marking the heap is best effort: a kernel without transparent huge pages ignores or refuses it.</summary>
    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) == "1") return;
        try
        {
            if (Mallopt(M_MMAP_THRESHOLD, MmapThreshold) != 1 || Mallopt(M_TRIM_THRESHOLD, TrimThreshold) != 1 || Mallopt(M_TOP_PAD, TopPad) != 1)
                return;
            MarkHeap();
            Applied = true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // not glibc: its defaults stay
        }
    }

    /// <summary>Grows the main heap and marks it for huge pages, best effort: where <c>/proc</c> cannot be read the heap
    /// keeps the kernel's default and the command runs as it would.</summary>
    private static void MarkHeap()
    {
        // A block larger than the heap's free top at start makes malloc grow the heap by it and the pad now (address
        // space: nothing is touched), so the range marked is the one the next 256 MiB come from. The main thread's
        // blocks come from this heap; other threads' from arenas of their own.
        nint block = Marshal.AllocHGlobal(16 << 20);
        try
        {
            if (Heap() is var (start, end)) _ = Madvise(start, (nuint)(end - start), MADV_HUGEPAGE);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            // no /proc, or a line this parser does not know: no huge pages, nothing else changes
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
    }

    /// <summary>Whether <see cref="Apply"/> set everything.</summary>
    public static bool Applied { get; private set; }

    /// <summary>What is in effect, for <c>--verbose</c>: the thresholds, the main heap's size and whether the kernel lets it
    /// have huge pages (its <c>THPeligible</c> in <c>/proc/self/smaps</c>; "unknown" where that cannot be read).</summary>
    public static string Describe()
    {
        if (!Applied) return "glibc's defaults";
        string heap = "unknown", huge = "unknown";
        try
        {
            // smaps has the heap's mapping line, as maps does, and then its fields ("Key: value") up to the next mapping's line
            string[] smaps = File.ReadAllLines("/proc/self/smaps");
            int at = Array.FindIndex(smaps, l => l.EndsWith("[heap]", StringComparison.Ordinal));
            if (at < 0) heap = "none";
            else
            {
                var (start, end) = Range(smaps[at]);
                heap = $"{(end - start) >> 20} MiB";
                string? eligible = smaps.Skip(at + 1).TakeWhile(l => l.Contains(": ", StringComparison.Ordinal))
                    .FirstOrDefault(l => l.StartsWith("THPeligible:", StringComparison.Ordinal))?.Split(':')[1].Trim();
                huge = eligible switch { "1" => "eligible", null => "unknown", _ => "not eligible" };
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            // reported as unknown
        }
        return $"blocks up to {MmapThreshold >> 20} MiB from the heaps, {TrimThreshold >> 20} MiB of free top kept, main heap {heap}, "
            + $"huge pages {huge}";
    }

    /// <summary>The main heap's address range, from <c>/proc/self/maps</c> (null where there is none).</summary>
    private static (nint Start, nint End)? Heap() =>
        File.ReadLines("/proc/self/maps").FirstOrDefault(l => l.EndsWith("[heap]", StringComparison.Ordinal)) is string line ? Range(line) : null;

    /// <summary>The address range of a mapping's line ("start-end perms ...", hexadecimal).</summary>
    private static (nint Start, nint End) Range(string mapping)
    {
        string[] range = mapping[..mapping.IndexOf(' ', StringComparison.Ordinal)].Split('-');
        return ((nint)long.Parse(range[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
            (nint)long.Parse(range[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
    }
}
