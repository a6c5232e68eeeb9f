using System.Diagnostics;
using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM while <c>sls prune</c>, <c>sls train</c> and <c>sls batch</c> work: the run stops
/// within a few seconds with exit 130 / 143 and one line, leaves no temporary file, and an output an earlier run
/// wrote is left exactly as it was.
/// </summary>
public class SignalTests
{
    private static readonly string Shipped = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "models",
        "fmnist-vit8"));

    [Fact]
    public void Sigint_during_prune_exits_130_and_keeps_the_earlier_index()
    {
        string dir = Directory.CreateTempSubdirectory("sls-sigint-").FullName;
        string index = Path.Combine(dir, "index.sls.json");
        File.WriteAllText(index, "{\"earlier\": true}");
        var (code, err) = RunAndSignal(["prune", "--backbone", Path.Combine(Shipped, "backbone.safetensors"),
            "--petl", Path.Combine(Shipped, "structured-location.convpass.safetensors"), "--data", Path.Combine(Shipped, "calibration",
                "structured-location"),
            "--device", "cpu", "--out", index, "--plots", Path.Combine(dir, "plots")], "sls: features:", "INT");
        Assert.Equal(130, code);
        Assert.Contains("sls: interrupted (SIGINT)", err, StringComparison.Ordinal);
        Assert.DoesNotContain("sls: t-SNE: done", err, StringComparison.Ordinal); // stopped in the pass, not after the work
        Assert.Equal("{\"earlier\": true}", File.ReadAllText(index));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Sigint_during_training_exits_130_with_whole_files_only()
    {
        string task = PruneEvalCommandTests.Task(12, 3);
        string dir = Directory.CreateTempSubdirectory("sls-sigint-train-").FullName;
        string petl = Path.Combine(dir, "petl.safetensors");
        var (code, err) = RunAndSignal(["train", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--heads", "3", "--data", task,
            "--petl-method", "convpass", "--epochs", "400", "--warmup-epochs", "1", "--eval-every", "1", "--eval-split", "train800val200",
            "--batch-size", "12", "--device", "cpu", "--out", petl], "sls: train: epoch 2/", "INT");
        Assert.Equal(130, code);
        Assert.Contains("sls: interrupted (SIGINT)", err, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch 400/400", err, StringComparison.Ordinal); // stopped at the next step, not after the epochs
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        using var state = Core.Checkpoints.CheckpointFile.Open(petl + ".state.safetensors"); // whole: resumable
        Assert.Equal("slsprune-train-state/1", state.Metadata["format"]);
    }

    [Fact]
    public void Sigterm_during_batch_exits_143_and_records_no_result_for_the_stopped_task()
    {
        string task = PruneEvalCommandTests.Task(12, 3);
        string dir = Directory.CreateTempSubdirectory("sls-sigterm-batch-").FullName;
        var m = new
        {
            backbone = CliRunner.Fixture("backbone.safetensors"),
            defaults = new { stages = new[] { "train" }, heads = 3, device = "cpu", epochs = 400, batch_size = 12, eval_split = "train800val200" },
            tasks = new[] { new { name = "a", data = task, group = "natural" } },
        };
        string manifest = Path.Combine(dir, "manifest.json");
        File.WriteAllText(manifest, JsonSerializer.Serialize(m));
        string outDir = Path.Combine(dir, "out");
        var (code, err) = RunAndSignal(["batch", "--manifest", manifest, "--out", outDir], "sls: batch: a: running", "TERM", settle: 3000);
        Assert.Equal(143, code);
        Assert.Contains("sls: terminated (SIGTERM)", err, StringComparison.Ordinal);
        Assert.DoesNotContain("a: ok", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(outDir, "results", "a.json")), "a stopped task must not be recorded as done or failed");
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp", SearchOption.AllDirectories));
    }

    /// <summary>Starts sls, waits for a line of stderr starting with <paramref name="marker"/> (then <paramref name="settle"/> ms),
    /// sends the signal, and returns the exit code and stderr. How fast it stops is not timed here (no timed assertions
    /// in tests); a minute is only the bound past which it counts as hung.</summary>
    private static (int Code, string Err) RunAndSignal(string[] args, string marker, string signal, int settle = 300)
    {
        var err = new System.Text.StringBuilder();
        using var seen = new ManualResetEventSlim();
        using var p = KillDuringWriteTests.Start(args, line =>
        {
            lock (err) err.AppendLine(line);
            if (line.StartsWith(marker, StringComparison.Ordinal)) seen.Set();
        });
        Assert.True(seen.Wait(TimeSpan.FromSeconds(120)), $"never saw '{marker}'; stderr: {err}");
        Thread.Sleep(settle);
        Assert.False(p.HasExited, $"finished before the signal; stderr: {err}");
        using (var kill = Process.Start("kill", $"-{signal} {p.Id}")!) kill.WaitForExit();
        Assert.True(p.WaitForExit(60_000), "did not stop within a minute");
        p.WaitForExit();
        lock (err) return (p.ExitCode, err.ToString());
    }
}
