using System.Text.Json;
using SlsPrune.Core.Batch;

namespace SlsPrune.Cli.Tests;

/// <summary>A manifest's <c>budget</c>: checked at load (a malformed one, or one the method does not take, names the
/// task), passed to the prune stage, and the report shows each task's chosen depth and its cost, and its front.</summary>
public class BudgetBatchTests
{
    private static string Manifest(string dir, string task, object defaults)
    {
        var m = new
        {
            backbone = CliRunner.Fixture("backbone.safetensors"),
            defaults,
            tasks = new[] { new { name = "a", data = task, group = "natural", petl = CliRunner.Fixture("convpass.safetensors") } },
        };
        string path = Path.Combine(dir, "manifest.json");
        File.WriteAllText(path, JsonSerializer.Serialize(m));
        return path;
    }

    [Fact]
    public void A_manifest_budget_prunes_to_it_and_the_report_shows_the_choice_its_cost_and_the_front()
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-budget-").FullName;
        string manifest = Manifest(dir, PruneEvalCommandTests.Task(20, 3),
            new { stages = new[] { "prune", "eval" }, heads = 3, device = "cpu", eval_split = "train800val200", alpha = 1.5, budget = "depth=2" });
        string outDir = Path.Combine(dir, "out");
        var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir);
        Assert.True(code == 0, err);
        var a = JsonDocument.Parse(File.ReadAllText(BatchRunner.ResultPath(outDir, "a"))).RootElement;
        Assert.Equal(2, a.GetProperty("kept_blocks").GetInt32());
        Assert.Equal(2, a.GetProperty("pruned").GetProperty("blocks").GetInt32());
        var b = a.GetProperty("budget");
        Assert.Equal(("depth=2", 2, 3), (b.GetProperty("spec").GetString(), b.GetProperty("chosen").GetInt32(), b.GetProperty("alpha_choice")
            .GetInt32()));
        // the recorded cost of the chosen depth is the pruned model's, as eval counted it
        Assert.Equal(a.GetProperty("pruned").GetProperty("flops_per_image").GetInt64(), b.GetProperty("costs")[1].GetProperty("flops").GetInt64());

        var (rcode, md, rerr) = CliRunner.Run("report", outDir);
        Assert.True(rcode == 0, rerr);
        Assert.Contains("budget depth=2 (alpha policy): 2 of 3 blocks: ", md, StringComparison.Ordinal);
        Assert.Contains("the alpha rule alone keeps 3", md, StringComparison.Ordinal);
        string html = HtmlReport.Build(outDir);
        Assert.Contains("<h2>Budget fronts</h2>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"front-a\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sls", "flops=1.5", "task 'a': budget: flops=1.5: a fraction in (0, 1]")]
    [InlineData("bi", "flops=0.5", "task 'a': budget: method bi takes no budget")]
    public void A_bad_manifest_budget_is_refused_at_load_naming_the_task(string method, string budget, string expected)
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-budget-bad-").FullName;
        string manifest = Manifest(dir, PruneEvalCommandTests.Task(4, 2), new
        {
            stages = new[] { "prune" }, heads = 3, device = "cpu", method,
            budget
        });
        var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", Path.Combine(dir, "out"), "--dry-run");
        Assert.Equal(2, code);
        var last = err.Trim().Split('\n')[^1];
        Assert.StartsWith($"sls: {manifest}: ", last, StringComparison.Ordinal);
        Assert.Contains(expected, last, StringComparison.Ordinal);
    }
}
