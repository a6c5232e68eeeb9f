using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>glibc's malloc thresholds set at the start of the command line (<see cref="MallocSettings"/>): glibc takes
/// them, and a prune gives the same index and scores with them as with glibc's defaults (<c>SLS_MALLOC_DEFAULTS=1</c>).</summary>
public class MallocSettingsTests
{
    [Fact]
    public void Glibc_takes_both_thresholds_on_linux()
    {
        Assert.Equal(OperatingSystem.IsLinux(), MallocSettings.Apply());
    }

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
