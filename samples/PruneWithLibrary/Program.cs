// Prune with the SlsPrune.Core library instead of the sls command: SLS on the shipped model, then the pruned model
// built from the index and evaluated against the full one.
//   dotnet run --project samples/PruneWithLibrary -- [OUT_DIR]   (from the repository root; writes OUT_DIR/index.sls.json)
using System.Globalization;
using SlsPrune.Core;
using SlsPrune.Core.Evaluation;
using SlsPrune.Core.Models;
using SlsPrune.Core.Pruning;
using SlsPrune.Core.Pruning.Sls;

string root = args.Length > 1 ? args[1] : ".";
string model = Path.Combine(root, "models", "fmnist-vit8");
string data = Path.Combine(model, "calibration", "structured-location");   // 1000 images, committed
string outDir = Directory.CreateDirectory(args.Length > 0 ? args[0] : "pruned").FullName;

try
{
    // The backbone plus the task's PETL weights (Convpass); device "cpu" so the numbers match on every machine.
    var full = new ModelOptions(Path.Combine(model, "backbone.safetensors"), Path.Combine(model, "structured-location.convpass.safetensors"),
        Device: "cpu");

    // 1. SLS: t-SNE + silhouette of every block's cls token on 200 calibration images (a stratified sample); blocks
    //    above the last one scoring under alpha x the top score are pruned. Scoring = All: every layer's score, for the
    //    curve printed below (the default scores only the layers the rule reads, from the top down).
    var sls = new SlsOptions { Alpha = 0.3, Scoring = SlsScoring.All };
    var options = new PruneOptions(full, data, new SlsMethod(), sls, Out: Path.Combine(outDir, "index.sls.json"), Seed: 0) { Calibration = 200 };
    var prune = PruneRunner.Run(options);
    var index = prune.Index;
    Console.WriteLine($"scores: {string.Join(" ", SlsSection.Of(index).Scores!.Select(s => s.ToString("F3", CultureInfo.InvariantCulture)))}");
    Console.WriteLine($"kept blocks: {string.Join(",", index.KeptBlocks)} of {index.Depth}");
    Console.WriteLine($"index: {prune.IndexPath}");

    // 2. The index applied: the loader builds the model from the kept blocks alone (same stored weights), here
    //    evaluated against the full model on every 5th image of the task (a CSV any layout reader takes).
    string check = Path.Combine(outDir, "check.csv");
    File.WriteAllLines(check, File.ReadLines(Path.Combine(data, "train800val200.txt")).Where((_, i) => i % 5 == 0)
        .Select(line => line.Split(' ')).Select(f => $"{Path.GetFullPath(Path.Combine(data, f[0]))},{f[1]}").Prepend("path,label"));
    var before = EvalRunner.Run(new EvalOptions(full, check, Split: "all"));
    var after = EvalRunner.Run(new EvalOptions(full, check, prune.IndexPath, Split: "all"));
    foreach (var (name, r) in new[] { ("full", before), ("pruned", after) })
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: top-1 {r.Top1 * 100:F2}% ({r.Correct}/{r.Images}), {r.Blocks} "
            + $"blocks, {r.FlopsPerImage} FLOPs/image"));
    return 0;
}
catch (SlsInputException e)
{
    // what sls itself does with bad input: one line naming the file, exit 2
    Console.Error.WriteLine($"PruneWithLibrary: {e.Message}");
    return 2;
}
