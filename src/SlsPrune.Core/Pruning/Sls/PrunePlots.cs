using SlsPrune.Core.Plotting;
using TorchSharp;

namespace SlsPrune.Core.Pruning.Sls;

/// <summary><c>--plots DIR</c>, each as PNG and SVG: <c>scores</c> (the score per layer, the threshold dashed, the
/// pruned blocks shaded), <c>tsne_grid</c> (the paper's figure: every layer's min-max scaled t-SNE embedding
/// coloured by class, one panel per layer) and <c>tsne_layerNN</c> (one layer, with axes and a legend). This file
/// only turns tensors into plain data; <c>Plotting/</c> draws.</summary>
public static class PrunePlots
{
    /// <summary>Whether <paramref name="fileName"/> is one a figures folder's figure may take (<c>tsne_layerNN</c>,
    /// <c>tsne_grid</c>, <c>scores</c>, the budget's <c>front</c>; PNG and SVG): a file of that name there is replaced.</summary>
    public static bool IsFigure(string fileName) => FigureName.IsMatch(fileName);

    private static readonly System.Text.RegularExpressions.Regex FigureName = new(@"^(tsne_layer[0-9]{2,}|tsne_grid|scores|front)\.(png|svg)$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public static IReadOnlyList<string> Write(string dir, IReadOnlyList<torch.Tensor> embeddings, long[] labels, IReadOnlyList<double> scores,
        PruningDecision decision,
        string task, string metric, double alpha, IReadOnlyList<double>? std = null, IReadOnlyList<double>? accuracyByDepth = null,
            IReadOnlyList<string>? classNames = null)
    {
        Directory.CreateDirectory(dir);
        var kept = Enumerable.Range(1, decision.KeptBlocks).ToArray();
        var layers = new List<TsneLayer>();
        for (int l = 0; l < embeddings.Count; l++)
        {
            var xy = embeddings[l].cpu().data<float>().ToArray();
            layers.Add(new TsneLayer(l + 1, Enumerable.Range(0, labels.Length).Select(i => (double)xy[2 * i]).ToArray(),
                Enumerable.Range(0, labels.Length).Select(i => (double)xy[2 * i + 1]).ToArray(), scores[l], l + 1 > decision.KeptBlocks));
        }
        var tsne = new TsneFigureData($"{task}: t-SNE of every layer ({metric}; {decision.KeptBlocks} of {decision.Depth} blocks kept)", metric,
            layers,
            labels.Select(x => (int)x).ToArray(), classNames);
        var files = new List<string>();
        for (int l = 0; l < layers.Count; l++) files.AddRange(TsneFigure.RenderLayer(tsne, l).Save(dir, $"tsne_layer{l + 1:D2}"));
        files.AddRange(TsneFigure.RenderGrid(tsne).Save(dir, "tsne_grid"));
        var data = new ScoreFigureData(task, "sls", metric, alpha, scores, kept, decision.Guarded ? null : decision.Threshold, std,
            accuracyByDepth?.Select(a => 100 * a).ToArray());   // the figure's right axis is in percent
        files.AddRange(ScoreFigure.Render(data).Save(dir, "scores"));
        return files;
    }
}
