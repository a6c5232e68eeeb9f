using System.Globalization;
using SlsPrune.Core.Plotting;
using TorchSharp;

namespace SlsPrune.Core.Pruning.Sls;

/// <summary><c>--plots DIR</c>: <c>tsne_layerNN.png</c>, one scatter of each layer's min-max scaled t-SNE
/// embedding coloured by class (the layer number in the corner), and <c>scores.png</c>: the score curve over
/// layers with the threshold as a dashed red line and the pruned blocks shaded.</summary>
public static class PrunePlots
{
    private static readonly (byte, byte, byte) White = (255, 255, 255), Black = (0, 0, 0), Grey = (200, 200, 200), Red = (214, 39, 40), Shade = (235, 235, 235);

    public static IReadOnlyList<string> Write(string dir, IReadOnlyList<torch.Tensor> embeddings, long[] labels, IReadOnlyList<double> scores, PruningDecision decision)
    {
        Directory.CreateDirectory(dir);
        var files = new List<string>();
        for (int l = 0; l < embeddings.Count; l++)
        {
            const int size = 400, margin = 20;
            var r = new Raster(size, size, White);
            var xy = embeddings[l].cpu().data<float>().ToArray();
            r.Line(margin, size - margin, size - margin, size - margin, Grey);
            r.Line(margin, margin, margin, size - margin, Grey);
            for (int i = 0; i < labels.Length; i++)
                r.Disc(margin + xy[2 * i] * (size - 2 * margin), size - margin - xy[2 * i + 1] * (size - 2 * margin), 2.5, Raster.Colour(labels[i]));
            r.Text(size - 60, 6, (l + 1).ToString(CultureInfo.InvariantCulture), Black, 3);
            string path = Path.Combine(dir, $"tsne_layer{l + 1:D2}.png");
            r.Save(path);
            files.Add(Path.GetFullPath(path));
        }

        {
            const int w = 640, h = 360, left = 50, right = 20, top = 20, bottom = 40;
            var r = new Raster(w, h, White);
            int n = scores.Count;
            double lo = Math.Min(0, scores.Min()), hi = Math.Max(1, scores.Max());
            double X(double layer) => left + (n == 1 ? 0.5 : (layer - 1) / (n - 1)) * (w - left - right);
            double Y(double v) => h - bottom - (v - lo) / (hi - lo) * (h - top - bottom);
            if (decision.KeptBlocks < n)
                r.Rect((int)((X(decision.KeptBlocks) + X(decision.KeptBlocks + 1)) / 2), top, w - right, h - bottom, Shade);
            r.Line(left, h - bottom, w - right, h - bottom, Black);
            r.Line(left, top, left, h - bottom, Black);
            r.Line(left, Y(0), w - right, Y(0), Grey);
            foreach (double v in new[] { lo, 0.0, hi }.Distinct())
                r.Text(4, (int)Y(v) - 5, v.ToString("0.0", CultureInfo.InvariantCulture), Black);
            for (int i = 1; i <= n; i++) r.Text((int)X(i) - 4, h - bottom + 8, i.ToString(CultureInfo.InvariantCulture), Black);
            if (!decision.Guarded) r.Line(left, Y(decision.Threshold), w - right, Y(decision.Threshold), Red, 2, 8);
            for (int i = 1; i < n; i++) r.Line(X(i), Y(scores[i - 1]), X(i + 1), Y(scores[i]), Raster.Colour(0), 2);
            for (int i = 1; i <= n; i++) r.Disc(X(i), Y(scores[i - 1]), 4, i <= decision.KeptBlocks ? Raster.Colour(0) : Grey);
            string path = Path.Combine(dir, "scores.png");
            r.Save(path);
            files.Add(Path.GetFullPath(path));
        }
        return files;
    }
}
