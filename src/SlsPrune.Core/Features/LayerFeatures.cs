using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Features;

/// <summary>Per-block features of a calibration split (the token(s) the family's head reads: the cls token for ViT):
/// [layers, n, width] float32 (CPU) and the labels; with <see cref="Predictions"/>, the class the model cut after each
/// block predicts for each image [layers][n].</summary>
public sealed record LayerFeatureSet(Tensor Features, long[] Labels, long[][]? Predictions = null) : IDisposable
{
    public int Layers => (int)Features.shape[0];

    public int Count => (int)Features.shape[1];

    /// <summary>Writes <c>feats</c> [layers, n, width] and <c>labels</c> [n] as safetensors (atomically).</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var labels = torch.tensor(Labels);
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["feats"] = Features, ["labels"] = labels }, metadata);
    }

    public static LayerFeatureSet Load(string path)
    {
        using var f = SafetensorsFile.Open(path);
        if (!f.Tensors.Any(t => t.Name == "feats") || !f.Tensors.Any(t => t.Name == "labels"))
            throw new SlsInputException(path, "a features file needs 'feats' [layers, n, width] and 'labels' [n]");
        var feats = f.Read("feats").to(float32);
        using var labels = f.Read("labels");
        if (feats.dim() != 3 || labels.dim() != 1 || labels.shape[0] != feats.shape[1])
            throw new SlsInputException(path, "'feats' must be [layers, n, width] and 'labels' [n]");
        return new LayerFeatureSet(feats, labels.to(int64).data<long>().ToArray());
    }

    public void Dispose() => Features.Dispose();
}

/// <summary>One pass over a split under no-grad, one dispose scope per batch, taking every block's feature
/// (<see cref="Backbone.ForwardIntermediates"/>, before the final norm).</summary>
public static class LayerFeatureExtractor
{
    /// <param name="progress">images done so far.</param>
    /// <param name="predictions">also the prediction of the model cut after every block (<see cref="Backbone.ForwardEveryDepth"/>).</param>
    public static LayerFeatureSet Extract(Backbone model, IReadOnlyList<LabelledImage> items, Preprocessor preprocessor,
        int batchSize, Device device, IProgress<int>? progress = null, bool predictions = false, CancellationToken cancellationToken = default)
    {
        var chunks = new List<Tensor>();
        var predicted = new List<Tensor>();
        var labels = new List<long>();
        using var _ = torch.no_grad();
        model.eval();
        foreach (var batch in BatchLoader.Batches(items, preprocessor, batchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (batch)
            using (var scope = torch.NewDisposeScope())
            {
                if (predictions)
                {
                    var (cls, p) = model.ForwardEveryDepth(batch.Images.to(device));
                    chunks.Add(cls.to(float32).cpu().MoveToOuterDisposeScope());
                    predicted.Add(p.cpu().MoveToOuterDisposeScope());
                }
                else
                {
                    var (cls, _) = model.ForwardIntermediates(batch.Images.to(device), stopEarly: true);
                    chunks.Add(cls.to(float32).cpu().MoveToOuterDisposeScope());
                }
                labels.AddRange(batch.Labels.data<long>().ToArray());
            }
            progress?.Report(labels.Count);
        }
        var feats = torch.cat(chunks, 1);
        foreach (var c in chunks) c.Dispose();
        long[][]? perDepth = null;
        if (predictions)
        {
            using var all = torch.cat(predicted, 1);
            foreach (var p in predicted) p.Dispose();
            perDepth = Enumerable.Range(0, (int)all.shape[0]).Select(d => { using var row = all[d]; return row.data<long>().ToArray(); }).ToArray();
        }
        return new LayerFeatureSet(feats, [.. labels], perDepth);
    }
}
