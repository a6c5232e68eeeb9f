using System.Diagnostics;
using SlsPrune.Core;
using SlsPrune.Core.Checkpoints;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// Atomic writes under SIGKILL: `sls train` writes its best weights and its per-epoch state many times a second
/// here; the process is killed at random moments, and every file it leaves must be whole (every tensor
/// reads back) or absent, never torn. Resuming after the last kill finishes the run and removes the killed
/// runs' temporary files.
/// </summary>
public class KillDuringWriteTests
{
    [Fact]
    public void Killed_training_leaves_whole_files_or_none()
    {
        string task = PruneEvalCommandTests.Task(12, 3);
        string dir = Directory.CreateTempSubdirectory("sls-kill-").FullName;
        string petl = Path.Combine(dir, "petl.safetensors");
        string[] args = ["train", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--heads", "3", "--data", task, "--petl-method",
            "convpass",
            "--epochs", "400", "--warmup-epochs", "1", "--eval-every", "1", "--eval-split", "train800val200", "--batch-size", "12", "--device", "cpu",
                "--out", petl];
        var rng = new Random(7);
        int killedWithFiles = 0;
        for (int round = 0; round < 4; round++)
        {
            using var p = Start(args);
            // once the run writes (its first epoch's state, or a later one after a resume), kill it somewhere in the middle
            var waited = Stopwatch.StartNew();
            var before = File.Exists(petl + ".state.safetensors") ? File.GetLastWriteTimeUtc(petl + ".state.safetensors") : DateTime.MinValue;
            while (waited.Elapsed < TimeSpan.FromSeconds(90) && !p.HasExited
                   && !(File.Exists(petl + ".state.safetensors") && File.GetLastWriteTimeUtc(petl + ".state.safetensors") > before))
                Thread.Sleep(20);
            Thread.Sleep(rng.Next(1500));
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            foreach (var f in new[] { petl, petl + ".state.safetensors" })
            {
                if (!File.Exists(f)) continue;
                killedWithFiles++;
                using var c = CheckpointFile.Open(f); // throws SlsInputException on a torn file
                foreach (var t in c.Tensors) c.Read(t.Name).Dispose();
            }
        }
        Assert.True(killedWithFiles > 0, "no file was written before the kills: the test checked nothing");
        // a resumed run that finishes, with few epochs left, sweeps the dead runs' temporary files
        string[] finish = [.. args.Select(a => a == "400" ? "2" : a), "--no-resume"];
        using (var p = Start(finish))
        {
            Assert.True(p.WaitForExit(120_000), "the final run did not finish");
            Assert.Equal(0, p.ExitCode);
        }
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        using (var c = CheckpointFile.Open(petl))
            Assert.Equal("convpass", c.Metadata["petl_method"]);
    }

    /// <param name="stderr">receives each line the process writes to stderr.</param>
    internal static Process Start(string[] args, Action<string>? stderr = null)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sls.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr?.Invoke(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }
}
