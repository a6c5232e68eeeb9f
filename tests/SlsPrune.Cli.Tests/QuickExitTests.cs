using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>The process ends with <c>_exit</c> once the command is done (<see cref="QuickExit"/>): what it printed and
/// wrote is all there, its exit code is the command's, and <c>SLS_NORMAL_EXIT=1</c> gives the same output through the
/// normal exit.</summary>
public class QuickExitTests
{
    private static (int Code, string Out, string Err) Sls(bool normalExit, params string[] args) =>
        CliProcess.Run(QuickExit.Variable, normalExit ? "1" : "0", args);

    [Fact]
    public void A_prune_prints_and_writes_everything_and_exits_with_its_code_either_way()
    {
        string dir = Directory.CreateTempSubdirectory("sls-exit-").FullName;
        string task = PruneEvalCommandTests.Task(12, 3);
        try
        {
            string[] prune = CliProcess.FixturePrune(task);
            var quick = Sls(false, [.. prune, "--out", Path.Combine(dir, "quick.sls.json")]);
            var normal = Sls(true, [.. prune, "--out", Path.Combine(dir, "normal.sls.json")]);
            Assert.True(quick.Code == 0, quick.Err);
            Assert.True(normal.Code == 0, normal.Err);
            Assert.EndsWith("}\n", quick.Out, StringComparison.Ordinal);
            using var q = JsonDocument.Parse(quick.Out);
            using var n = JsonDocument.Parse(normal.Out);
            Assert.Equal(n.RootElement.GetProperty("index").GetProperty("kept_blocks").GetRawText(),
                q.RootElement.GetProperty("index").GetProperty("kept_blocks").GetRawText());
            foreach (string name in new[] { "quick", "normal" })
            {
                using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, $"{name}.sls.json")));
                Assert.Equal(q.RootElement.GetProperty("index").GetProperty("kept_blocks").GetRawText(),
                    index.RootElement.GetProperty("kept_blocks").GetRawText());
            }
            static int Stages(string err) => err.Split('\n').Count(l => l.Contains(": done in ", StringComparison.Ordinal));
            Assert.Equal(Stages(normal.Err), Stages(quick.Err));
            Assert.True(Stages(quick.Err) >= 3, quick.Err);
        }
        finally
        {
            Directory.Delete(dir, true);
            Directory.Delete(task, true);
        }
    }

    [Fact]
    public void Bad_input_still_exits_2_with_one_error_line()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"sls-exit-missing-{Guid.NewGuid():N}.safetensors");
        var (code, output, err) = Sls(false, "inspect", missing);
        Assert.Equal((2, ""), (code, output));
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("sls: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(missing, lines[0], StringComparison.Ordinal);
    }
}
