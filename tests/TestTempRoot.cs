using System.Runtime.CompilerServices;

namespace SlsPrune.Tests;

/// <summary>Every temporary file and folder a test run makes goes under one folder of its own: TMPDIR (which
/// <see cref="Path.GetTempPath"/> reads, and child processes inherit) is pointed at <c>$TMPDIR/sls-tests-PID</c> before
/// any test runs. The folder is deleted when the test process exits normally; the test runner may kill it instead, so
/// each run also deletes the folders of earlier runs whose process is gone. Native code (libtorch) reads the process's
/// own environment, not this one, and still writes to the system's temporary folder. XDG_CACHE_HOME is pointed at a
/// folder inside it too, so the <c>sls</c> processes that tests start keep their JIT profiles there, not in the user's
/// cache. Compiled into each test project.</summary>
internal static class TestTempRoot
{
    [ModuleInitializer]
    internal static void Redirect()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // GetTempPath reads TMP/TEMP elsewhere
        string tmp = Path.GetTempPath(), root = Path.Combine(tmp, $"sls-tests-{Environment.ProcessId}");
        // An earlier run's folder is stale when its process is gone (/proc is read only where it is mounted) and it has
        // not changed for an hour (a live run in another PID namespace sharing this folder keeps writing to its own).
        if (Directory.Exists("/proc/self"))
            foreach (var stale in Directory.EnumerateDirectories(tmp, "sls-tests-*"))
            {
                if (int.TryParse(Path.GetFileName(stale)["sls-tests-".Length..], out int pid) && !Directory.Exists($"/proc/{pid}")
                    && Directory.GetLastWriteTimeUtc(stale) < DateTime.UtcNow.AddHours(-1))
                    TryDelete(stale);
            }
        Directory.CreateDirectory(root);
        Environment.SetEnvironmentVariable("TMPDIR", root);
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", Path.Combine(root, "cache"));
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
