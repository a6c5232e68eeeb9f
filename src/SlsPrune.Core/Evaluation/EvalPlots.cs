using System.Globalization;
using SlsPrune.Core.Plotting;

namespace SlsPrune.Core.Evaluation;

/// <summary><c>sls eval --plots DIR</c>, each as PNG and SVG: <c>confusion</c> (true class down, predicted across,
/// the count in each cell) and <c>per_class</c> (top-1 per true class).</summary>
public static class EvalPlots
{
    public static IReadOnlyList<string> Write(string dir, EvalResult r)
    {
        var confusion = r.Confusion ?? throw new ArgumentException("the result carries no confusion counts", nameof(r));
        Directory.CreateDirectory(dir);
        string what = $"{r.Task}, {r.Split} split, {(r.Pruned ? $"{r.Blocks} of {r.Depth} blocks" : "full model")}";
        string top1 = (100 * r.Top1).ToString("0.0", CultureInfo.InvariantCulture);
        var files = new List<string>();
        files.AddRange(ClassFigures.RenderConfusion(new ConfusionData($"{what}: confusion (top-1 {top1} %)", confusion, r.ClassNames)).Save(dir,
            "confusion"));
        files.AddRange(ClassFigures.RenderPerClass(new ConfusionData($"{what}: top-1 per class", confusion, r.ClassNames)).Save(dir, "per_class"));
        return files;
    }
}
