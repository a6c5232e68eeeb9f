using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Training;

/// <summary>
/// A split kept in memory for a fit's epochs: its images decoded, resized and normalised once (or what a fixed
/// function of them gives, such as a frozen backbone's tokens), on the CPU, with the labels. Batches come out in the
/// order <see cref="BatchLoader"/> gives them (file order, or the same seeded shuffle) and hold the same values, so a
/// fit reads the same tensors as from the files, without decoding every image again every epoch.
/// The memory is bounded: a split whose tensors would not fit in what is left of the budget is not kept (the fit
/// reads it from the files as before).
/// </summary>
public sealed class SplitCache : IDisposable
{
    /// <summary>What one fit keeps at most, over all its splits: 1 GiB (1000 images at 224 x 224 take 0.6 GB; at the
    /// shipped model's 32 x 32, 12 MB, and its tokens after the last block, 17 x 192 per image, 13 MB).</summary>
    public const long BudgetBytes = 1L << 30;

    private readonly Tensor _values;
    private readonly Tensor _labels;

    private SplitCache(Tensor values, Tensor labels)
    {
        _values = values;
        _labels = labels;
    }

    public int Count => (int)_labels.shape[0];

    /// <summary>Bytes the kept tensors take.</summary>
    public long Bytes => _values.numel() * _values.element_size() + _labels.numel() * _labels.element_size();

    /// <summary>The split read once in batches of <paramref name="batchSize"/> (file order) and kept, each batch
    /// mapped by <paramref name="map"/> (null: the images themselves; it must not depend on the batch's company);
    /// null, with nothing kept, when it would take more than <paramref name="budget"/> bytes. What is kept is taken
    /// off <paramref name="budget"/>.</summary>
    public static SplitCache? TryCreate(IReadOnlyList<LabelledImage> items, Preprocessor preprocessor, int batchSize, ref long budget,
        Func<Tensor, Tensor>? map = null, CancellationToken cancellationToken = default)
    {
        long imageBytes = (long)items.Count * 3 * preprocessor.Size * preprocessor.Size * sizeof(float);
        if (items.Count == 0 || (map is null && imageBytes > budget)) return null;
        Tensor? values = null;
        long left = budget;
        try
        {
            using var _ = torch.no_grad();
            foreach (var batch in BatchLoader.Batches(items, preprocessor, batchSize))
            {
                using (batch)
                using (var scope = torch.NewDisposeScope())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var x = map is null ? batch.Images : map(batch.Images).cpu();
                    if (values is null)
                    {
                        long[] shape = [items.Count, .. x.shape[1..]];
                        long bytes = shape.Aggregate(1L, (a, b) => a * b) * x.element_size() + items.Count * sizeof(long);
                        if (bytes > left) return null;
                        values = torch.empty(shape, dtype: x.dtype).DetachFromDisposeScope(); // the cache's own, whatever scope the caller is in
                    }
                    values.narrow(0, batch.Offset, x.shape[0]).copy_(x);
                }
            }
            var labels = torch.tensor(items.Select(i => (long)i.Label).ToArray()).DetachFromDisposeScope();
            var cache = new SplitCache(values!, labels);
            budget -= cache.Bytes;
            values = null;
            return cache;
        }
        finally
        {
            values?.Dispose();
        }
    }

    /// <summary>Batches of the kept split, in file order or shuffled by <paramref name="shuffleSeed"/> exactly as
    /// <see cref="BatchLoader.Batches"/> shuffles the files.</summary>
    public IEnumerable<Data.Batch> Batches(int batchSize, int? shuffleSeed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var order = BatchLoader.Order(Enumerable.Range(0, Count).Select(i => (long)i).ToArray(), shuffleSeed);
        for (int start = 0; start < Count; start += batchSize)
        {
            int n = Math.Min(batchSize, Count - start);
            if (shuffleSeed is null)
            {
                yield return new Data.Batch(_values.narrow(0, start, n), _labels.narrow(0, start, n), start);
                continue;
            }
            using var index = torch.tensor(order.Skip(start).Take(n).ToArray());
            yield return new Data.Batch(_values.index_select(0, index), _labels.index_select(0, index), start);
        }
    }

    public void Dispose()
    {
        _values.Dispose();
        _labels.Dispose();
    }
}
