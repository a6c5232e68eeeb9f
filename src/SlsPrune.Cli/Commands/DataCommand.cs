using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core.Data.FashionMnist;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls data fashion-mnist --out DIR [--seed N] [--source DIR] [--json]</c></summary>
public static class DataCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Folder to write the benchmark into", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed gives byte-identical output", DefaultValueFactory = _ => 0 };
        var source = new Option<DirectoryInfo>("--source")
        {
            Description = "Folder with the Fashion-MNIST IDX files",
            DefaultValueFactory = _ => new DirectoryInfo(FashionMnistBenchmark.DebianSource),
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };
        var fashion = new Command("fashion-mnist", "Build the local VTAB-1k-format benchmark from Debian's dataset-fashion-mnist")
        {
            outDir, seed, source, json,
        };
        fashion.SetAction(parse =>
        {
            var ctx = context();
            var result = FashionMnistBenchmark.Generate(new FashionMnistOptions(parse.GetValue(outDir)!.FullName, parse.GetValue(seed), parse.GetValue(source)!.FullName), new SyncProgress(ctx.Err));
            if (parse.GetValue(json)) Json.Write(ctx.Out, result);
            else DataView.Render(ctx.Console, result);
            return Task.FromResult(ExitCodes.Success);
        });
        return new Command("data", "Build local benchmark data") { fashion };
    }

    /// <summary>Progress lines on stderr, written as they happen (not on the thread pool).</summary>
    private sealed class SyncProgress(TextWriter err) : IProgress<string>
    {
        public void Report(string value) => err.WriteLine($"sls data: {value}");
    }
}
