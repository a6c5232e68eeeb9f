using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.FashionMnist;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls data fashion-mnist --out DIR [--seed N] [--source DIR] [--json]</c>, and
/// <c>sls data split SOURCE --out TASK_DIR --train 800 --val 200 [--test N|rest] [--seed S] [--copy]</c></summary>
public static class DataCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Folder to write the benchmark into", Required = true };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed: the same seed gives byte-identical output", DefaultValueFactory = _ => FashionMnistOptions.Defaults.Seed
        };
        var source = new Option<DirectoryInfo>("--source")
        {
            Description = "Folder with the Fashion-MNIST IDX files",
            DefaultValueFactory = _ => new DirectoryInfo(FashionMnistOptions.Defaults.Source),
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };
        var fashion = new Command("fashion-mnist", "Build the local VTAB-1k-format benchmark from Debian's dataset-fashion-mnist")
        {
            outDir, seed, source, json,
        };
        fashion.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            var result = FashionMnistBenchmark.Generate(new FashionMnistOptions(parse.GetValue(outDir)!.FullName, parse.GetValue(seed),
                parse.GetValue(source)!.FullName), new SyncProgress(ctx.Err), cancellationToken);
            if (parse.GetValue(json)) Json.Write(ctx.Out, result);
            else DataView.Render(ctx.Console, result);
            return Task.FromResult(ExitCodes.Success);
        });
        return new Command("data", "Build local benchmark data, or a VTAB-1k task folder from your own images") { fashion, Split(context) };
    }

    private static Command Split(Func<CliContext> context)
    {
        var source = new Argument<FileSystemInfo>("SOURCE")
        {
            Description = "ImageFolder tree (ROOT/CLASS/* or ROOT/{train,val,test}/CLASS/*, pooled) or CSV/TSV file"
        };
        source.AcceptExistingOnly();
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Task folder to write (VTAB-1k layout)", Required = true };
        var train = new Option<int>("--train") { Description = "Images in train800.txt", DefaultValueFactory = _ => SplitOptions.Defaults.Train };
        var val = new Option<int>("--val") { Description = "Images in val200.txt", DefaultValueFactory = _ => SplitOptions.Defaults.Val };
        var test = new Option<string>("--test")
        {
            Description = $"Images in test.txt: a number, or {SplitOptions.RestOfImages} (every image not in "
            + $"train or val)", DefaultValueFactory = _ => SplitOptions.RestOfImages
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed: the same seed gives byte-identical lists", DefaultValueFactory = _ => SplitOptions.Defaults.Seed
        };
        var copy = new Option<bool>("--copy") { Description = "Copy the images (default: symbolic links to them)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };
        var data = new DataOptionSet();
        var cmd = new Command("split", "Write a stratified VTAB-1k task folder (train800/val200/train800val200/test lists, task.json) from an "
            + "ImageFolder tree or a CSV")
        {
            source, outDir, train, val, test, seed, copy, json, data.PathColumn, data.LabelColumn,
        };
        foreach (var o in new[] { train, val })
            o.Validators.Add(r => { if (r.TryParsed<int>(out var parsed) && parsed < 0) r.AddError($"{o.Name} must not be negative"); });
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            string t = parse.GetValue(test)!;
            int? testCount = t == SplitOptions.RestOfImages ? null
                : int.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n
                : throw new SlsInputException("--test", $"'{t}' is neither a number of images nor '{SplitOptions.RestOfImages}'");
            var options = new SplitOptions(parse.GetValue(source)!.FullName, parse.GetValue(outDir)!.FullName, parse.GetValue(train),
                parse.GetValue(val), testCount,
                parse.GetValue(seed), parse.GetValue(copy))
            {
                DataOptions = new DataOptions(parse.GetValue(data.PathColumn), parse.GetValue(data.LabelColumn), Report: line =>
                    ctx.Err.WriteLine($"sls: data: {line}")),
            };
            var result = TaskSplitter.Run(options, cancellationToken);
            if (parse.GetValue(json)) Json.Write(ctx.Out, result);
            else DataView.Render(ctx.Console, result);
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }

    /// <summary>Progress lines on stderr, written as they happen (not on the thread pool).</summary>
    private sealed class SyncProgress(TextWriter err) : IProgress<string>
    {
        public void Report(string value) => err.WriteLine($"sls: data: {value}");
    }
}
