using System.Text.Json;
using SlsPrune.Core.Batch;

namespace SlsPrune.Cli.Tests;

/// <summary><c>sls batch</c> and <c>sls report</c> on a tiny manifest: the fixture model, prune + eval stages.</summary>
public class BatchCommandTests
{
    private static string Manifest(string dir, params (string Name, string Data, string Group)[] tasks)
    {
        var m = new
        {
            backbone = CliRunner.Fixture("backbone.safetensors"),
            defaults = new { stages = new[] { "prune", "eval" }, heads = 3, device = "cpu", eval_split = "train800val200", alpha = 0.9 },
            tasks = tasks.Select(t => new { name = t.Name, data = t.Data, group = t.Group, petl = CliRunner.Fixture("convpass.safetensors") }).ToArray(),
        };
        string path = Path.Combine(dir, "manifest.json");
        File.WriteAllText(path, JsonSerializer.Serialize(m));
        return path;
    }

    [Fact]
    public void Every_path_of_the_manifest_is_checked_before_the_first_task_runs()
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-paths-").FullName;
        string task = PruneEvalCommandTests.Task(4, 2);
        string manifest = Manifest(dir, ("a", task, "natural"), ("typo", Path.Combine(dir, "no-such-task"), "structured"));
        string outDir = Path.Combine(dir, "out");
        var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {manifest}: task 'typo': data '{Path.Combine(dir, "no-such-task")}' does not exist", err.Trim().Split('\n')[^1]);
        Assert.False(Directory.Exists(outDir));   // task a did not run
    }

    [Fact]
    public void A_failing_task_is_recorded_the_others_finish_and_resume_redoes_only_it()
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-").FullName;
        string task = PruneEvalCommandTests.Task(12, 3);
        string brokenTask = Directory.CreateDirectory(Path.Combine(dir, "broken-task")).FullName;   // exists, but its list names a missing image
        File.WriteAllText(Path.Combine(brokenTask, "test.txt"), "images/missing.png 0\n");
        string manifest = Manifest(dir, ("a", task, "natural"), ("broken", brokenTask, "structured"), ("c", task, "structured"));
        string outDir = Path.Combine(dir, "out");

        var (code, output, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--json");
        Assert.Equal(1, code); // a task failed
        var summary = JsonDocument.Parse(output).RootElement;
        Assert.Equal((3, 3, 0, 1), (summary.GetProperty("tasks").GetInt32(), summary.GetProperty("ran").GetInt32(), summary.GetProperty("skipped").GetInt32(), summary.GetProperty("failed").GetInt32()));
        Assert.Contains("sls: batch: broken: failed:", err, StringComparison.Ordinal);
        Assert.Equal(["a.json", "broken.json", "c.json"], Directory.GetFiles(Path.Combine(outDir, "results")).Select(Path.GetFileName).Order());
        var broken = JsonDocument.Parse(File.ReadAllText(BatchRunner.ResultPath(outDir, "broken"))).RootElement;
        Assert.Equal("failed", broken.GetProperty("status").GetString());
        Assert.StartsWith(Path.Combine(brokenTask, "train800"), broken.GetProperty("error").GetString(), StringComparison.Ordinal);
        var a = JsonDocument.Parse(File.ReadAllText(BatchRunner.ResultPath(outDir, "a"))).RootElement;
        Assert.Equal("ok", a.GetProperty("status").GetString());
        int kept = a.GetProperty("kept_blocks").GetInt32();
        Assert.Equal(kept, a.GetProperty("pruned").GetProperty("blocks").GetInt32());
        Assert.Equal(3, a.GetProperty("full").GetProperty("blocks").GetInt32());
        DateTime aWritten = File.GetLastWriteTimeUtc(BatchRunner.ResultPath(outDir, "a"));

        var (code2, output2, _) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--resume", "--json");
        Assert.Equal(1, code2);
        var again = JsonDocument.Parse(output2).RootElement;
        Assert.Equal((1, 2), (again.GetProperty("ran").GetInt32(), again.GetProperty("skipped").GetInt32()));
        Assert.Equal(aWritten, File.GetLastWriteTimeUtc(BatchRunner.ResultPath(outDir, "a")));

        var (rcode, md, rerr) = CliRunner.Run("report", outDir);
        Assert.True(rcode == 0, rerr);
        var lines = md.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("| task | method | group | status | full | pruned | retrained | blocks kept |", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("| broken | sls | structured | failed |", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("| **Natural** | sls |  | 1 tasks |", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("| **Average** | sls |  | 2 tasks |", StringComparison.Ordinal));
        double full = a.GetProperty("full").GetProperty("top1").GetDouble() * 100;
        Assert.Contains(lines, l => l.StartsWith($"| a | sls | natural | ok | {full:F1} |", StringComparison.Ordinal));
        var (ccode, csv, _) = CliRunner.Run("report", outDir, "--format", "csv");
        Assert.Equal(0, ccode);
        Assert.Equal(3 + 3, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1); // 3 tasks, 2 groups + overall

        // the result carries the index's curve, and the HTML report draws it for each task that ran
        Assert.Equal(3, a.GetProperty("scores").GetArrayLength());
        Assert.Equal(kept, a.GetProperty("kept_block_numbers").GetArrayLength());
        string page = Path.Combine(dir, "report.html");
        var (hcode, hout, herr) = CliRunner.Run("report", outDir, "--format", "html", "--out", page);
        Assert.True(hcode == 0, herr);
        Assert.Equal("", hout);
        string html = File.ReadAllText(page);
        Assert.Contains("id=\"scores-a-sls\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"scores-c-sls\"", html, StringComparison.Ordinal);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(html, "src=\"data:image/png;base64,"));
        Assert.Equal(2, CliRunner.Run("report", outDir, "--format", "html", "--out", outDir).Code); // a folder is not a file
    }

    [Fact]
    public void Shards_cover_every_task_exactly_once()
    {
        var tasks = Enumerable.Range(0, 19).ToArray();
        for (int n = 1; n <= 7; n++)
        {
            var seen = Enumerable.Range(0, n).SelectMany(k => Shard.Parse($"{k}/{n}").Select(tasks)).Order().ToArray();
            Assert.Equal(tasks, seen);
        }
        foreach (var bad in new[] { "3/3", "-1/2", "1", "a/b", "0/0" })
            Assert.Equal("--shard", Assert.Throws<Core.SlsInputException>(() => Shard.Parse(bad)).Subject);
    }

    [Fact]
    public void A_manifest_with_an_unknown_stage_exits_2_naming_it()
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-").FullName;
        string path = Path.Combine(dir, "m.json");
        File.WriteAllText(path, """{"backbone": "b.safetensors", "defaults": {"stages": ["prune", "distil"]}, "tasks": [{"name": "t", "data": "t", "petl": "p"}]}""");
        var (code, _, err) = CliRunner.Run("batch", "--manifest", path, "--out", Path.Combine(dir, "out"));
        Assert.Equal(2, code);
        Assert.Equal($"sls: {path}: task 't' has unknown stage 'distil' (known: train, prune, eval, retrain)", err.Trim());
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    [Trait("Category", "Slow")] // 17 s in the full suite on 2 cores (2 s alone): --filter "Category!=Slow" leaves it out
    public void A_batch_killed_at_random_points_then_resumed_ends_with_one_result_per_task()
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-kill-").FullName;
        string task = PruneEvalCommandTests.Task(12, 3);
        string[] names = ["t1", "t2", "t3", "t4", "t5"];
        string manifest = Manifest(dir, [.. names.Select(n => (n, task, "natural"))]);
        string outDir = Path.Combine(dir, "out");
        string[] args = ["batch", "--manifest", manifest, "--out", outDir, "--resume"];
        var rng = new Random(3);
        for (int round = 0; round < 4; round++)
        {
            using var p = KillDuringWriteTests.Start(args);
            if (!p.WaitForExit(800 + rng.Next(2500))) p.Kill(entireProcessTree: true);
            p.WaitForExit();
            // whatever is there is whole
            foreach (var f in Directory.Exists(Path.Combine(outDir, "results")) ? Directory.GetFiles(Path.Combine(outDir, "results"), "*.json") : [])
                Assert.Equal("ok", JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("status").GetString());
        }
        using (var p = KillDuringWriteTests.Start(args))
        {
            Assert.True(p.WaitForExit(120_000));
            Assert.Equal(0, p.ExitCode);
        }
        Assert.Equal(names.Select(n => n + ".json"), Directory.GetFiles(Path.Combine(outDir, "results")).Select(Path.GetFileName).Order());
        Assert.Empty(Directory.GetFiles(Path.Combine(outDir, "results"), "*.tmp"));
    }

    [Fact]
    public void The_shipped_local_benchmark_manifest_loads()
    {
        var m = BatchManifest.Load(Path.Combine(ShippedModelTests.RepoRoot(), "scripts", "batch", "local-benchmark.json"));
        Assert.Equal(7, m.Tasks.Count);
        Assert.Equal(new[] { ("natural", 2), ("specialized", 2), ("structured", 3) }, m.Tasks.GroupBy(t => t.Group!).Select(g => (g.Key, g.Count())));
        Assert.True(File.Exists(m.Resolve(m.Backbone)));
        Assert.Equal(["train", "prune", "eval", "retrain"], m.Defaults.Stages);
    }
}
