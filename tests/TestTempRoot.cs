using System.Runtime.CompilerServices;

namespace SlsPrune.Tests;

/// <summary>Every temporary file and folder a test run makes goes under one folder of its own: TMPDIR (which
/// <see cref="Path.GetTempPath"/> reads, and child processes inherit) is pointed at <c>$TMPDIR/sls-tests-PID</c> before
/// any test runs. The folder is deleted when the test process exits normally; the test runner may kill it instead, so
/// each run also deletes the folders of earlier runs whose process is gone. Compiled into each test project.</summary>
internal static class TestTempRoot
{
    [ModuleInitializer]
    internal static void Redirect()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // GetTempPath reads TMP/TEMP elsewhere
        string tmp = Path.GetTempPath(), root = Path.Combine(tmp, $"sls-tests-{Environment.ProcessId}");
        foreach (var stale in Directory.EnumerateDirectories(tmp, "sls-tests-*"))
        {
            if (int.TryParse(Path.GetFileName(stale)["sls-tests-".Length..], out int pid) && !Directory.Exists($"/proc/{pid}") && OperatingSystem.IsLinux())
                TryDelete(stale);
        }
        Directory.CreateDirectory(root);
        Environment.SetEnvironmentVariable("TMPDIR", root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(root);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // in use or not ours: leave it
        }
    }
}
