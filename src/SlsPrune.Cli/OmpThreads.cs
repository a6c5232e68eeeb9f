using System.Globalization;
using System.Runtime.InteropServices;
using SlsPrune.Core;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Cli;

/// <summary>
/// <c>OMP_NUM_THREADS</c> made sane before libtorch loads. libgomp reads the variable once, when the library loads, from
/// the process's C environment; <see cref="ThreadBudget"/> skips a value that is not a thread count, but libgomp still
/// took it (<c>OMP_NUM_THREADS=100000</c> ended in a stack overflow inside the first convolution, exit 134). A value
/// whose counts (OpenMP's comma-separated levels) are not all within 1..<see cref="ThreadBudget.Max"/> is replaced, in
/// the C environment (<c>setenv</c>: .NET's own copy is not what a native library reads) and in .NET's, by the processor
/// count, and one warning line says so. Linux and other Unix only; the CLI only (a library does not change its host's
/// environment).
/// </summary>
internal static class OmpThreads
{
    public const string Variable = "OMP_NUM_THREADS";

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value,
        int overwrite);

    /// <summary>Replaces an out-of-range or unreadable value, writing one warning line to <paramref name="err"/>.</summary>
    public static void Apply(TextWriter err)
    {
        // set but blank is as unreadable as any other text: libgomp says so on stderr in a line of its own
        if (OperatingSystem.IsWindows() || Environment.GetEnvironmentVariable(Variable) is not { } text || IsCounts(text)) return;
        string sane = Math.Clamp(Environment.ProcessorCount, 1, ThreadBudget.Max).ToString(CultureInfo.InvariantCulture);
        try
        {
            if (SetEnv(Variable, sane, 1) != 0) return;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return;
        }
        Environment.SetEnvironmentVariable(Variable, sane);
        err.WriteLine($"sls: warning: {Variable} '{Printable.Escape(text)}' is not a thread count within 1..{ThreadBudget.Max}; "
            + $"using {sane} (the processors) for this run");
    }

    /// <summary>OpenMP's form: one count, or a comma-separated count per nesting level, each within 1..<see cref="ThreadBudget.Max"/>.</summary>
    public static bool IsCounts(string text) => text.Split(',').All(part =>
        int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= ThreadBudget.Max);
}
