using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Features;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.Models;

namespace SlsPrune.Core.Pruning.Sls;

/// <summary>Measures <see cref="DepthAccuracy"/>: the head applied to each block's output, as the pruned model computes it.</summary>
public static class DepthAccuracyPass
{
    /// <summary>From the predictions the calibration pass made (<see cref="LayerFeatureSet.Predictions"/>) for the images of
    /// <paramref name="split"/> it covers, and one more pass over those it does not.</summary>
    public static DepthAccuracy Measure(string split, IReadOnlyList<LabelledImage> splitItems, IReadOnlyList<LabelledImage> calibration,
        LayerFeatureSet calibrated, Backbone model, Preprocessor preprocessor, int batchSize, TorchSharp.torch.Device device,
            CancellationToken cancellationToken)
    {
        var predictions = calibrated.Predictions ?? throw new ArgumentException("the calibration pass made no predictions", nameof(calibrated));
        int depth = predictions.Length;
        var at = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < calibration.Count; i++) at.TryAdd(calibration[i].Path, i);
        var correct = new long[depth];
        var missing = new List<LabelledImage>();
        foreach (var item in splitItems)
        {
            if (!at.TryGetValue(item.Path, out int i)) { missing.Add(item); continue; }
            for (int d = 0; d < depth; d++) if (predictions[d][i] == item.Label) correct[d]++;
        }
        if (missing.Count > 0)
        {
            using var more = LayerFeatureExtractor.Extract(model, missing, preprocessor, batchSize, device, predictions: true,
                cancellationToken: cancellationToken);
            for (int j = 0; j < missing.Count; j++)
                for (int d = 0; d < depth; d++) if (more.Predictions![d][j] == missing[j].Label) correct[d]++;
        }
        int n = splitItems.Count;
        return new DepthAccuracy(split, n, correct.Select(c => n == 0 ? 0 : (double)c / n).ToArray());
    }
}
