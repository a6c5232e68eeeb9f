using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using SlsPrune.Core.Indexing;

namespace SlsPrune.Cli.Tests;

/// <summary><c>samples/PruneWithLibrary</c>, built with the solution and run as a user runs it: SLS through the library on the
/// shipped model, the index it writes, and the pruned model's accuracy, which <c>sls eval --index</c> must reproduce.</summary>
public class LibrarySampleTests
{
    [Fact]
    public async Task The_library_sample_prunes_the_shipped_model_and_its_numbers_are_what_sls_says()
    {
        string root = ShippedModelTests.RepoRoot(), dir = Directory.CreateTempSubdirectory("sls-library-sample-").FullName;
        string config = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Release>/net10.0
        string dll = Path.Combine(root, "samples", "PruneWithLibrary", "bin", config, "net10.0", "PruneWithLibrary.dll");
        Assert.True(File.Exists(dll), $"{dll} not built");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, dir, root }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, err);
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToList();
        Assert.Equal(5, lines.Count);

        // the index it wrote is the one it printed: 8 scores, blocks 1..k kept
        var index = PruningIndex.Load(Path.Combine(dir, "index.sls.json"));
        Assert.Equal($"index: {Path.Combine(dir, "index.sls.json")}", lines[2]);
        Assert.Equal("scores: " + string.Join(" ", SlsPrune.Core.Pruning.Sls.SlsSection.Of(index).Scores!.Select(s => s.ToString("F3",
            CultureInfo.InvariantCulture))), lines[0]);
        Assert.Equal(8, index.Depth);
        Assert.Equal(200, index.Calibration.Samples);
        Assert.InRange(index.KeptBlocks.Count, 1, 7);
        Assert.Equal(Enumerable.Range(1, index.KeptBlocks.Count), index.KeptBlocks);
        Assert.Equal($"kept blocks: {string.Join(",", index.KeptBlocks)} of 8", lines[1]);

        var full = Regex.Match(lines[3], @"^full: top-1 ([0-9.]+)% \((\d+)/200\), 8 blocks, (\d+) FLOPs/image$");
        var pruned = Regex.Match(lines[4], $@"^pruned: top-1 ([0-9.]+)% \((\d+)/200\), {index.KeptBlocks.Count} blocks, (\d+) FLOPs/image$");
        Assert.True(full.Success, lines[3]);
        Assert.True(pruned.Success, lines[4]);
        Assert.True(long.Parse(pruned.Groups[3].Value, CultureInfo.InvariantCulture) < long.Parse(full.Groups[3].Value,
            CultureInfo.InvariantCulture));
        Assert.InRange(int.Parse(full.Groups[2].Value, CultureInfo.InvariantCulture), 180, 200);   // the shipped task's model is ~99% right

        // sls eval with the same index on the same images counts the same correct answers
        string model = Path.Combine(root, "models", "fmnist-vit8");
        var (code, output, evalErr) = CliRunner.Run("eval", "--backbone", Path.Combine(model, "backbone.safetensors"), "--petl", Path.Combine(model,
            "structured-location.convpass.safetensors"),
            "--data", Path.Combine(dir, "check.csv"), "--split", "all", "--index", Path.Combine(dir, "index.sls.json"), "--device", "cpu", "--json");
        Assert.True(code == 0, evalErr);
        Assert.Equal(int.Parse(pruned.Groups[2].Value, CultureInfo.InvariantCulture), JsonDocument.Parse(output).RootElement.GetProperty("correct")
            .GetInt32());
    }
}
