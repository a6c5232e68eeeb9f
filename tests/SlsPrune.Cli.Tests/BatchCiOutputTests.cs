using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using SlsPrune.Core.Batch;

namespace SlsPrune.Cli.Tests;

/// <summary>What <c>sls batch</c> and <c>sls report</c> leave for a CI: the progress log (<c>--log-file</c>), a step summary
/// (<c>--summary-md</c>) and JUnit XML (<c>--junit</c>); and a retrain stage on an index that keeps every block, skipped
/// with a note.</summary>
public class BatchCiOutputTests
{
    /// <summary>Three tasks on the fixture model (depth 3): <c>all</c> keeps every block (bi, keep_blocks 3) and has a retrain
    /// stage, <c>broken</c> fails in its first eval, <c>later</c> is another shard's (missing from this folder).</summary>
    private static (string Manifest, string Out) Setup(string dir)
    {
        string task = PruneEvalCommandTests.Task(4, 2);
        string broken = Directory.CreateDirectory(Path.Combine(dir, "broken-task")).FullName;
        foreach (var list in new[] { "test.txt", "train800val200.txt" }) File.WriteAllText(Path.Combine(broken, list), "images/missing.png 0\n");
        var m = new
        {
            backbone = CliRunner.Fixture("backbone.safetensors"),
            defaults = new
            {
                stages = new[] { "eval", "prune", "retrain" }, heads = 3, device = "cpu", eval_split = "train800val200",
                retrain_epochs = 1
            },
            tasks = new object[]
            {
                new { name = "all", data = task, group = "natural", petl = CliRunner.Fixture("convpass.safetensors"), settings = new { method = "bi",
                    keep_blocks = 3 } },
                new { name = "later", data = task, group = "natural", petl = CliRunner.Fixture("convpass.safetensors") },
                new { name = "broken", data = broken, group = "structured", petl = CliRunner.Fixture("convpass.safetensors") },
            },
        };
        string path = Path.Combine(dir, "manifest.json");
        File.WriteAllText(path, JsonSerializer.Serialize(m));
        return (path, Path.Combine(dir, "out"));
    }

    [Fact]
    public void Batch_writes_its_log_summary_and_junit_and_report_writes_the_same_summary_and_junit()
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-ci-").FullName;
        var (manifest, outDir) = Setup(dir);
        string log = Path.Combine(dir, "batch.log"), summary = Path.Combine(dir, "summary.md"), junit = Path.Combine(dir, "junit.xml");

        // shard 0/2: tasks 0 (all) and 2 (broken); later is the other shard's
        var (code, output, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--shard", "0/2", "--log-file", log, "--summary-md",
            summary, "--junit", junit);
        Assert.Equal(1, code);   // a task failed: as documented
        Assert.Equal("2 run, 0 skipped, 1 failed of 2 tasks in this shard", output.Trim());

        // every block kept: retraining is skipped with a note, nothing is written for it, and its eval does not run
        Assert.Contains("sls: batch: all: retraining skipped: the index keeps every block (3 of 3) at full width", err, StringComparison.Ordinal);
        var all = JsonDocument.Parse(File.ReadAllText(BatchRunner.ResultPath(outDir, "all"))).RootElement;
        Assert.Equal("ok", all.GetProperty("status").GetString());
        Assert.Equal(3, all.GetProperty("kept_blocks").GetInt32());
        Assert.Equal(0, all.GetProperty("retrain").GetProperty("epochs").GetInt32());
        Assert.StartsWith("retraining skipped: ", all.GetProperty("retrain").GetProperty("skipped").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, all.GetProperty("retrained").ValueKind);
        Assert.False(File.Exists(Path.Combine(outDir, "tasks", "all", "petl.pruned.safetensors")));
        // sls train --index on that index: the same note, nothing written, exit 0
        string retrained = Path.Combine(dir, "retrained.safetensors");
        var (trainCode, trainOut, trainErr) = CliRunner.Run("train", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--heads", "3",
            "--petl-method", "convpass",
            "--data", PruneEvalCommandTests.Task(4, 2), "--index", Path.Combine(outDir, "tasks", "all", "index.sls.json"), "--init-from",
                CliRunner.Fixture("convpass.safetensors"),
            "--out", retrained, "--device", "cpu");
        Assert.True(trainCode == 0, trainErr);
        Assert.Equal($"Nothing trained; {retrained} was not written", trainOut.Trim());
        Assert.StartsWith("sls: train: retraining skipped: the index keeps every block (3 of 3) at full width", trainErr.Trim(),
            StringComparison.Ordinal);
        Assert.False(File.Exists(retrained));
        var broken = JsonDocument.Parse(File.ReadAllText(BatchRunner.ResultPath(outDir, "broken"))).RootElement;
        Assert.Equal("eval full", broken.GetProperty("failed_stage").GetString());

        // the log: every progress line of stderr, timestamped with its level, then the summary line
        var progress = err.Split('\n').Where(l => l.StartsWith("sls: batch: ", StringComparison.Ordinal) && !l.StartsWith("sls: batch: wrote ",
            StringComparison.Ordinal))
            .Select(l => l.TrimEnd()["sls: batch: ".Length..]).ToList();
        var logLines = File.ReadAllLines(log);
        Assert.Equal(progress.Count + 1, logLines.Length);
        var parsed = logLines.Select(l => Regex.Match(l, @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (INF|WRN|ERR) (.*)$")).ToList();
        Assert.All(parsed, p => Assert.True(p.Success));
        Assert.Equal([.. progress, output.Trim()], parsed.Select(p => p.Groups[2].Value));
        Assert.Equal("ERR", parsed.Single(p => p.Groups[2].Value.StartsWith("broken: eval full: failed after", StringComparison.Ordinal))
            .Groups[1].Value);
        Assert.Equal("INF", parsed.Single(p => p.Groups[2].Value.StartsWith("all: prune: done in ", StringComparison.Ordinal)).Groups[1].Value);

        // JUnit: a test case per task of the manifest; the failed one a failure naming its stage, the missing one skipped
        var x = XDocument.Load(junit);
        var suites = x.Root!;
        Assert.Equal("testsuites", suites.Name.LocalName);
        Assert.Equal(("3", "1", "0", "1"), ((string)suites.Attribute("tests")!, (string)suites.Attribute("failures")!,
            (string)suites.Attribute("errors")!, (string)suites.Attribute("skipped")!));
        var suite = Assert.Single(suites.Elements("testsuite"));
        Assert.Equal("3", (string)suite.Attribute("tests")!);
        var cases = suite.Elements("testcase").ToDictionary(c => (string)c.Attribute("name")!);
        Assert.Equal(["all", "broken", "later"], cases.Keys.Order());
        Assert.Equal("natural.bi", (string)cases["all"].Attribute("classname")!);
        Assert.Matches(@"^top-1 full [0-9.]+%, pruned [0-9.]+%, retrained -; 3 / 3 blocks kept$", cases["all"].Element("system-out")!.Value);
        Assert.True(double.Parse((string)cases["all"].Attribute("time")!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        var failure = Assert.Single(cases["broken"].Elements("failure"));
        Assert.Equal("eval full", (string)failure.Attribute("type")!);
        Assert.Equal("eval full: " + broken.GetProperty("error").GetString(), (string)failure.Attribute("message")!);
        Assert.Single(cases["later"].Elements("skipped"));
        Assert.DoesNotContain(cases["all"].Elements(), e => e.Name.LocalName is "failure" or "skipped" or "error");

        // the step summary: status line, the failure, the table
        string md = File.ReadAllText(summary);
        Assert.StartsWith("## sls: out\n\n**Not all tasks ok**: 1 ok, 1 failed, 1 missing of 3 tasks (incomplete: 1 of 3 tasks missing (later), 1 "
            + "failed (broken); expected by ", md, StringComparison.Ordinal);
        Assert.Contains("\n- `broken` failed in eval full: ", md, StringComparison.Ordinal);
        Assert.Contains("\n| task | method | group | status |", md, StringComparison.Ordinal);

        // sls report writes the same two files from the folder (the manifest the batch recorded) and exits 3: incomplete
        string summary2 = Path.Combine(dir, "summary2.md"), junit2 = Path.Combine(dir, "junit2.xml");
        var (reportCode, _, reportErr) = CliRunner.Run("report", outDir, "--summary-md", summary2, "--junit", junit2);
        Assert.Equal(3, reportCode);
        Assert.Contains($"sls: report: wrote {junit2}", reportErr, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(summary), File.ReadAllText(summary2));
        Assert.Equal(File.ReadAllText(junit), File.ReadAllText(junit2));
        var (formatCode, junitOut, _) = CliRunner.Run("report", outDir, "--format", "junit");
        Assert.Equal(3, formatCode);
        Assert.Equal(File.ReadAllText(junit), junitOut);
    }

    [Theory]
    [InlineData("--log-file")]
    [InlineData("--summary-md")]
    [InlineData("--junit")]
    public void A_ci_output_that_is_an_input_is_refused_before_the_first_task(string option)
    {
        string dir = Directory.CreateTempSubdirectory("sls-batch-ci-refused-").FullName;
        var (manifest, outDir) = Setup(dir);
        byte[] before = File.ReadAllBytes(manifest);
        var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, option, manifest);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {manifest}: is one of this run's inputs; {option} would replace it (choose another path)", err.Trim());
        Assert.Equal(before, File.ReadAllBytes(manifest));
        Assert.False(Directory.Exists(outDir));

        // a folder is no log file, and the refusal comes before anything is created
        var (folderCode, _, folderErr) = CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, option, dir);
        Assert.Equal(2, folderCode);
        Assert.Equal($"sls: {dir}: is a folder; {option} names a file to write", folderErr.Trim());
        Assert.False(Directory.Exists(outDir));
    }
}
