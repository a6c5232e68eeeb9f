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
            tasks = tasks.Select(t => new { name = t.Name, data = t.Data, group = t.Group, petl = CliRunner.Fixture("convpass.safetensors") })
                .ToArray(),
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
        // its lists are there (the manifest check reads the splits), but they name a missing image: it fails when run
        foreach (var list in new[] { "test.txt", "train800val200.txt" }) File.WriteAllText(Path.Combine(brokenTask, list), "images/missing.png 0\n");
        string manifest = Manifest(dir, ("a", task, "natural"), ("broken", brokenTask, "structured"), ("c", task, "structured"));
        string outDir = Path.Combine(dir, "out");

        var (code, output, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--json");
        Assert.Equal(1, code); // a task failed
        // each stage says when it starts and ends: a log cut short (a native crash, a kill) ends naming the task and stage
        var log = err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToList();
        Assert.Matches(@"^sls: batch: shard 0/1: 3 of 3 tasks; [1-9][0-9]* threads \(from [A-Za-z_-]+\)$", log[0]);
        var aLines = log.Where(l => l.StartsWith("sls: batch: a: ", StringComparison.Ordinal)).ToList();
        // (36 calibration images are too few for perplexity 30: the prune stage's warning is logged as it happens)
        Assert.Equal(["running", "eval full: started", "eval full: done", "prune: started", "warning: perplexity 30 asks", "prune: done",
            "eval pruned: started", "eval pruned: done", "ok"],
            aLines.Select(l => System.Text.RegularExpressions.Regex.Replace(l["sls: batch: a: ".Length..],
                @" (in|after) [0-9]+\.[0-9] s$|(?<=asks) .*$", "")));
        Assert.All(aLines.Where(l => l.Contains("done", StringComparison.Ordinal)), l => Assert.Matches(@": done in [0-9]+\.[0-9] s$", l));
        Assert.Contains(log, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^sls: batch: broken: eval full: failed after [0-9]+\.[0-9] s$"));
        var summary = JsonDocument.Parse(output).RootElement;
        Assert.Equal((3, 3, 0, 1), (summary.GetProperty("tasks").GetInt32(), summary.GetProperty("ran").GetInt32(), summary.GetProperty("skipped")
            .GetInt32(), summary.GetProperty("failed").GetInt32()));
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

        // the batch recorded its manifest: the report knows task broken failed, says so and exits 3 (incomplete)
        var (rcode, md, rerr) = CliRunner.Run("report", outDir);
        Assert.True(rcode == 3, rerr);
        Assert.Equal($"sls: report: incomplete: 1 failed (broken); expected by {manifest}", rerr.Trim());
        var lines = md.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("| task | method | group | status | full | pruned | retrained | blocks kept |", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("| broken | sls | structured | failed |", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("| **Natural** | sls |  | 1 task |", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("| **Average** | sls |  | 2 tasks |", StringComparison.Ordinal));
        double full = a.GetProperty("full").GetProperty("top1").GetDouble() * 100;
        Assert.Contains(lines, l => l.StartsWith($"| a | sls | natural | ok | {full:F1} |", StringComparison.Ordinal));
        var (ccode, csv, _) = CliRunner.Run("report", outDir, "--format", "csv");
        Assert.Equal(3, ccode);
        Assert.Equal(3 + 3, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1); // 3 tasks, 2 groups + overall

        // the result carries the index's curve, and the HTML report draws it for each task that ran
        Assert.Equal(3, a.GetProperty("scores").GetArrayLength());
        Assert.Equal(kept, a.GetProperty("kept_block_numbers").GetArrayLength());
        string page = Path.Combine(dir, "report.html");
        var (hcode, hout, herr) = CliRunner.Run("report", outDir, "--format", "html", "--out", page);
        Assert.True(hcode == 3, herr);
        Assert.Equal("", hout);
        string html = File.ReadAllText(page);
        Assert.Contains("id=\"scores-a-sls\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"scores-c-sls\"", html, StringComparison.Ordinal);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(html, "src=\"data:image/png;base64,"));
        Assert.Equal(2, CliRunner.Run("report", outDir, "--format", "html", "--out", outDir).Code); // a folder is not a file
    }

    [Fact]
    public void A_task_another_process_holds_is_skipped_said_and_counted_as_held()
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-lock-").FullName;
        string task = PruneEvalCommandTests.Task(12, 3);
        string manifest = Manifest(dir, ("a", task, "natural"), ("b", task, "natural"));
        string outDir = Path.Combine(dir, "out");
        string lockA = BatchRunner.LockPath(outDir, "a");
        Directory.CreateDirectory(Path.GetDirectoryName(lockA)!);
        // another run holds task a: the same open a batch makes (FileShare.None, a flock on Linux), its pid inside
        using (var holder = new FileStream(lockA, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            holder.Write("4242\n"u8);
            holder.Flush();
            var (code, output, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--json");
            Assert.True(code == 0, err);
            Assert.Contains($"sls: batch: a: held by another process (pid 4242) ({lockA}), skipped", err.Split('\n').Select(l => l.TrimEnd()));
            var summary = JsonDocument.Parse(output).RootElement;
            Assert.Equal((2, 1, 0, 0, 1), (summary.GetProperty("tasks").GetInt32(), summary.GetProperty("ran").GetInt32(),
                summary.GetProperty("skipped").GetInt32(),
                summary.GetProperty("failed").GetInt32(), summary.GetProperty("held").GetInt32()));
            Assert.Equal(["a"], summary.GetProperty("held_tasks").EnumerateArray().Select(e => e.GetString()));
            Assert.False(File.Exists(BatchRunner.ResultPath(outDir, "a")));
            Assert.True(File.Exists(BatchRunner.ResultPath(outDir, "b")));
            // the text summary says it too
            var (code2, text, _) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--resume");
            Assert.Equal(0, code2);
            Assert.Equal("0 run, 1 skipped, 0 failed, 1 held by another process of 2 tasks in this shard", text.Trim());
        }
        // released (a crashed holder releases it the same way: the kernel drops the flock): the next run takes it
        var (code3, output3, err3) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--resume", "--json");
        Assert.True(code3 == 0, err3);
        var again = JsonDocument.Parse(output3).RootElement;
        Assert.Equal((1, 1, 0), (again.GetProperty("ran").GetInt32(), again.GetProperty("skipped").GetInt32(), again.GetProperty("held").GetInt32()));
        Assert.True(File.Exists(BatchRunner.ResultPath(outDir, "a")));
        Assert.Equal("", File.ReadAllText(lockA)); // the holder's pid is cleared on release
    }

    [Fact]
    public void Dry_run_checks_the_whole_manifest_prints_the_plan_and_writes_nothing()
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-dry-").FullName;
        string task = PruneEvalCommandTests.Task(4, 2);
        string manifest = Manifest(dir, ("a", task, "natural"), ("b", task, "structured"));
        string outDir = Path.Combine(dir, "out");

        var (code, text, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--dry-run");
        Assert.True(code == 0, err);
        Assert.False(Directory.Exists(outDir));
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"Dry run: {manifest} checked; shard 0/1, 2 tasks, backbone {CliRunner.Fixture("backbone.safetensors")}", lines[0],
            StringComparison.Ordinal);
        Assert.Equal($"- a [natural]: run; stages prune > eval; method sls; data {task} (vtab, split train800val200); petl convpass, "
            + $"{CliRunner.Fixture("convpass.safetensors")}", lines[1]);
        Assert.Equal(3, lines.Length);

        // a result that says ok: --resume would skip the task, and the plan says so
        Directory.CreateDirectory(Path.Combine(outDir, "results"));
        File.WriteAllText(BatchRunner.ResultPath(outDir, "a"), """{"task": "a", "status": "ok"}""");
        var (code2, json, _) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--dry-run", "--resume", "--json", "--shard", "0/1");
        Assert.Equal(0, code2);
        var plan = JsonDocument.Parse(json).RootElement;
        Assert.True(plan.GetProperty("resume").GetBoolean());
        var tasks = plan.GetProperty("tasks").EnumerateArray().ToArray();
        Assert.Equal(["skip", "run"], tasks.Select(t => t.GetProperty("action").GetString()));
        Assert.Equal(["prune", "eval"], tasks[0].GetProperty("stages").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(("sls", "vtab", task, false), (tasks[1].GetProperty("method").GetString(), tasks[1].GetProperty("layout").GetString(),
            tasks[1].GetProperty("data").GetString(), tasks[1].GetProperty("petl_trained_here").GetBoolean()));
        Assert.Equal(["a.json"], Directory.GetFiles(Path.Combine(outDir, "results")).Select(Path.GetFileName)); // nothing written
        Assert.False(Directory.Exists(Path.Combine(outDir, "locks")));
        Assert.False(Directory.Exists(Path.Combine(outDir, "tasks")));

        // the whole manifest is checked as a real run checks it: a missing path in the last task is exit 2
        string bad = Manifest(dir, ("a", task, "natural"), ("typo", Path.Combine(dir, "no-such-task"), "structured"));
        var (code3, _, err3) = CliRunner.Run("batch", "--manifest", bad, "--out", outDir, "--dry-run");
        Assert.Equal(2, code3);
        Assert.Equal($"sls: {bad}: task 'typo': data '{Path.Combine(dir, "no-such-task")}' does not exist", err3.Trim());
    }

    [Fact]
    public void Every_shard_checks_every_task_of_the_manifest_before_its_first_task()
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-shard-paths-").FullName;
        string task = PruneEvalCommandTests.Task(4, 2);
        // task 1 (shard 1 of 2) has a typo: shard 0, which would not run it, refuses too, before its first task
        string manifest = Manifest(dir, ("a", task, "natural"), ("typo", Path.Combine(dir, "no-such-task"), "structured"));
        string outDir = Path.Combine(dir, "out");
        string expected = $"sls: {manifest}: task 'typo': data '{Path.Combine(dir, "no-such-task")}' does not exist";
        foreach (string[] extra in new[] { new[] { "--shard", "0/2" }, ["--shard", "0/2", "--dry-run"], ["--shard", "1/2", "--dry-run", "--json"] })
        {
            var (code, output, err) = CliRunner.Run(["batch", "--manifest", manifest, "--out", outDir, .. extra]);
            Assert.True(code == 2, string.Join(' ', extra) + ": " + err);
            Assert.Equal(expected, err.Trim());
            Assert.Equal("", output);
        }
        Assert.False(Directory.Exists(outDir)); // task a did not run
    }

    [Fact]
    public void Report_names_the_missing_and_failed_tasks_of_the_manifest_and_exits_3_until_every_shard_is_done()
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-complete-").FullName;
        string task = PruneEvalCommandTests.Task(12, 3);
        string manifest = Manifest(dir, ("a", task, "natural"), ("b", task, "structured"));
        string outDir = Path.Combine(dir, "out");

        var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--shard", "0/2");
        Assert.True(code == 0, err);
        // shard 1 has not run: b is missing, from the manifest batch recorded in the folder
        var (rcode, md, rerr) = CliRunner.Run("report", outDir);
        Assert.Equal(3, rcode);
        Assert.Equal($"sls: report: incomplete: 1 of 2 tasks missing (b); expected by {manifest}", rerr.Trim());
        Assert.Contains(md.Split('\n'), l => l.StartsWith("| b | sls | structured | missing | - | - | - |", StringComparison.Ordinal));
        var (jcode, json, _) = CliRunner.Run("report", outDir, "--format", "json");
        Assert.Equal(3, jcode);
        var completeness = JsonDocument.Parse(json).RootElement.GetProperty("completeness");
        Assert.Equal((2, "b", 0), (completeness.GetProperty("expected_tasks").GetInt32(), completeness.GetProperty("missing")[0].GetString(),
            completeness.GetProperty("failed").GetArrayLength()));

        // a manifest given names what the folder should hold, whatever was recorded: a third task is missing too
        string bigger = Path.Combine(dir, "bigger.json");
        var m = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!;
        m["tasks"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject
        {
            ["name"] = "c", ["data"] = task, ["petl"] = CliRunner.Fixture("convpass.safetensors")
        });
        File.WriteAllText(bigger, m.ToJsonString());
        var (gcode, _, gerr) = CliRunner.Run("report", outDir, "--manifest", bigger);
        Assert.Equal(3, gcode);
        Assert.Equal($"sls: report: incomplete: 2 of 3 tasks missing (b, c); expected by {bigger}", gerr.Trim());

        var (code2, _, err2) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--shard", "1/2");
        Assert.True(code2 == 0, err2);
        var (rcode2, _, rerr2) = CliRunner.Run("report", outDir);
        Assert.True(rcode2 == 0, rerr2);
        Assert.Equal("sls: report: complete: 2 of 2 tasks ok", rerr2.Trim());
    }

    [Fact]
    public void A_thread_count_out_of_range_is_refused_with_one_line()
    {
        var (code, _, err) = CliRunner.Run("report", Directory.CreateTempSubdirectory("sls-threads-").FullName, "--threads", "0");
        Assert.Equal(2, code);
        Assert.Equal("sls: --threads: must be an integer within 1..4096 (got 0)", err.Trim());
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
        File.WriteAllText(path,
            """{"backbone": "b.safetensors", "defaults": {"stages": ["prune", "distil"]}, "tasks": [{"name": "t", "data": "t", "petl": "p"}]}""");
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
