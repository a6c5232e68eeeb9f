using System.Runtime.InteropServices;

namespace SlsPrune.Cli;

/// <summary>
/// Ends the process as soon as the command is done, without the native libraries' teardown. By the time
/// <see cref="SlsCli.RunAsync"/> returns, every file it wrote is closed and renamed into place and its log is flushed; what
/// a normal exit would still do is unload libtorch, whose static destructors take its thousands of operator registrations
/// apart: about 80 ms of the shipped model's 2.7 s prune (docs/BENCHMARKS.md, "Feature batches side by side, and no
/// teardown at exit"). Here standard output and error are
/// flushed and the process ends with <c>_exit</c>. Linux only (elsewhere the normal exit runs); <c>SLS_NORMAL_EXIT=1</c> turns it
/// off, for tools that watch a process's teardown.
/// </summary>
internal static class QuickExit
{
    public const string Variable = "SLS_NORMAL_EXIT";

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void Exit(int status);

    /// <summary>Flushes the console and ends the process with <paramref name="code"/>; returns only where that is off.</summary>
    public static void Now(int code)
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) == "1") return;
        Console.Out.Flush();
        Console.Error.Flush();
        Exit(code);
    }
}
