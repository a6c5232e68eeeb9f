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
    /// <summary>The items in file order, or shuffled by <paramref name="shuffleSeed"/> (the same permutation whatever the items are).</summary>
    public static IReadOnlyList<T> Order<T>(IReadOnlyList<T> items, int? shuffleSeed)
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
        return Prefetched((order.Count + batchSize - 1) / batchSize, b => Load(order, b * batchSize, batchSize, preprocessor));
    }

    /// <summary><paramref name="load"/>(0), (1), ... (<paramref name="count"/> - 1) in order, each loaded on a pool thread
    /// while the one before it is used. A consumer that stops early (<c>Take</c>, a failure, a cancellation) does not leave
    /// the next one loading behind it: disposing the enumerator waits for that load and disposes what it made (its
    /// failure, if any, is dropped), so no tensor is left to the finalizer and no load is still in libtorch when the
    /// caller goes on, or the process exits.</summary>
    internal static IEnumerable<T> Prefetched<T>(int count, Func<int, T> load) where T : class, IDisposable
    {
        Task<T>? next = null;
        try
        {
            for (int i = 0; i < count; i++)
            {
                var current = next ?? Task.FromResult(load(i));
                next = null;
                int following = i + 1;
                next = following < count ? Task.Run(() => load(following)) : null;
                yield return current.GetAwaiter().GetResult();
            }
        }
        finally
        {
            if (next is not null)
            {
                try
                {
                    next.GetAwaiter().GetResult().Dispose();
                }
                catch (Exception)
                {
                    // the consumer stopped on its own (or had what it wanted): a batch it never asked for has no failure to report
                }
            }
        }
    }

    /// <summary>Batch <paramref name="index"/> of <paramref name="items"/> in file order, decoded on at most
    /// <paramref name="threads"/> threads (default: the thread budget), on the calling thread: for callers that run
    /// batches side by side themselves (<see cref="BatchStreams"/>).</summary>
    public static Batch LoadOne(IReadOnlyList<LabelledImage> items, Preprocessor preprocessor, int batchSize, int index, int? threads = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return Load(items, index * batchSize, batchSize, preprocessor, threads);
    }

    private static Batch Load(IReadOnlyList<LabelledImage> order, int start, int batchSize, Preprocessor p, int? threads = null)
    {
        var slice = order.Skip(start).Take(batchSize).ToList();
        var images = p.Load(slice.Select(s => s.Path).ToList(), slice.Count > 0 && slice[0].ExifTranspose, threads);
        try
        {
            var labels = torch.tensor(slice.Select(s => (long)s.Label).ToArray());
            return new Batch(images, labels, start);
        }
        catch
        {
            images.Dispose();
            throw;
        }
    }
}
