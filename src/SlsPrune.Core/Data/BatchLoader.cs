using SlsPrune.Core.Data.Images;
using TorchSharp;

namespace SlsPrune.Core.Data;

/// <summary>A batch: normalised images [n, 3, H, W] and labels [n] (int64).</summary>
public sealed record Batch(torch.Tensor Images, torch.Tensor Labels, int Offset) : IDisposable
{
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>Batches of a split in a deterministic order: file order, or a shuffle seeded by
/// <c>seed</c>. The next batch is decoded in the background while the current one is used.</summary>
public static class BatchLoader
{
    public static IReadOnlyList<LabelledImage> Order(IReadOnlyList<LabelledImage> items, int? shuffleSeed)
    {
        if (shuffleSeed is not int seed) return items;
        var copy = items.ToArray();
        new Random(seed).Shuffle(copy);
        return copy;
    }

    public static IEnumerable<Batch> Batches(IReadOnlyList<LabelledImage> items, Preprocessor preprocessor, int batchSize, int? shuffleSeed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var order = Order(items, shuffleSeed);
        Task<Batch>? next = null;
        for (int start = 0; start < order.Count; start += batchSize)
        {
            var current = next ?? Load(order, start, batchSize, preprocessor);
            int following = start + batchSize;
            next = following < order.Count ? Task.Run(() => Load(order, following, batchSize, preprocessor)) : null;
            yield return current.GetAwaiter().GetResult();
        }
    }

    private static Task<Batch> Load(IReadOnlyList<LabelledImage> order, int start, int batchSize, Preprocessor p)
    {
        var slice = order.Skip(start).Take(batchSize).ToList();
        var images = p.Load(slice.Select(s => s.Path).ToList(), slice.Count > 0 && slice[0].ExifTranspose);
        var labels = torch.tensor(slice.Select(s => (long)s.Label).ToArray());
        return Task.FromResult(new Batch(images, labels, start));
    }
}
