using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>glibc's malloc settings made at the start of the command line (<see cref="MallocSettings"/>): the process runs
/// with them (its --verbose line), and a prune gives the same index and scores with them as with glibc's defaults
/// (<c>SLS_MALLOC_DEFAULTS=1</c>).</summary>
public class MallocSettingsTests
{
    [Fact]
    public void The_process_runs_with_the_thresholds_and_a_grown_heap_marked_for_huge_pages()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (code, _, err) = Sls(false, "inspect", "--verbose", CliRunner.Fixture("backbone.safetensors"));
        Assert.True(code == 0, err);
        var m = System.Text.RegularExpressions.Regex.Match(err, @"malloc: blocks up to 32 MiB from the heaps, 64 MiB of free top kept, main heap "
            + @"(\d+) MiB, huge pages (eligible|not eligible|unknown)");
        Assert.True(m.Success, err);
        Assert.True(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= MallocSettings.TopPad >> 20, err);
        // where the kernel gives huge pages to ranges marked for them (and has not been told not to for this process), the
        // heap is; a kernel that does not report eligibility says unknown
        string mode = File.Exists(ThpMode) ? File.ReadAllText(ThpMode) : "";
        bool disabled = File.ReadLines("/proc/self/status").Any(l => l.StartsWith("THP_enabled:", StringComparison.Ordinal) && l.EndsWith('0'));
        if ((mode.Contains("[madvise]", StringComparison.Ordinal) || mode.Contains("[always]", StringComparison.Ordinal)) && !disabled
            && m.Groups[2].Value != "unknown")
            Assert.Equal("eligible", m.Groups[2].Value);
        var defaults = Sls(true, "inspect", "--verbose", CliRunner.Fixture("backbone.safetensors"));
        Assert.Contains("malloc: glibc's defaults", defaults.Err, StringComparison.Ordinal);
    }

    private const string ThpMode = "/sys/kernel/mm/transparent_hugepage/enabled";

    private static (int Code, string Out, string Err) Sls(bool defaults, params string[] args) =>
        CliProcess.Run(MallocSettings.Variable, defaults ? "1" : "0", args);

    [Fact]
    public void A_prune_gives_the_same_index_and_scores_with_glibcs_defaults()
    {
        string dir = Directory.CreateTempSubdirectory("sls-malloc-").FullName;
        string task = PruneEvalCommandTests.Task(12, 3);
        try
        {
            string[] prune = CliProcess.FixturePrune(task);
            var tuned = Sls(false, [.. prune, "--out", Path.Combine(dir, "tuned.sls.json")]);
            var glibc = Sls(true, [.. prune, "--out", Path.Combine(dir, "glibc.sls.json")]);
            Assert.True(tuned.Code == 0, tuned.Err);
            Assert.True(glibc.Code == 0, glibc.Err);
            using var t = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "tuned.sls.json")));
            using var g = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "glibc.sls.json")));
            Assert.Equal(g.RootElement.GetProperty("kept_blocks").GetRawText(), t.RootElement.GetProperty("kept_blocks").GetRawText());
            var scores = t.RootElement.GetProperty("sls").GetProperty("scores");
            Assert.Equal(g.RootElement.GetProperty("sls").GetProperty("scores").GetRawText(), scores.GetRawText());
            Assert.True(scores.GetArrayLength() > 1, scores.GetRawText());
        }
        finally
        {
            Directory.Delete(dir, true);
            Directory.Delete(task, true);
        }
    }
}
