using System.Runtime.ExceptionServices;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Runtime;
using TorchSharp;

namespace SlsPrune.Core.Data;

/// <summary>
/// A pass over a split's batches, several of them side by side on the CPU, each on its share of the threads. A small
/// model's operators are too small to keep two threads busy (the shipped model's forward on one thread took 1.2 s, on two
/// 0.8 s: the second thread mostly waits at the end of each operator), while two batches at once, one thread each, keep
/// both busy: the feature pass over 1000 images went from 0.82 to 0.70 s (median), with the same bits, since each
/// operator gives the same result on one thread as on two (docs/BENCHMARKS.md, "Feature batches side by side"). Used by
/// the feature pass (<see cref="Features.LayerFeatureExtractor"/>, through its callers) and <c>sls eval</c>'s TorchSharp
/// engine. Bounded by memory: the batches in flight together may take at most <see cref="MaxBytesInFlight"/> of
/// activations (a ViT-B/16 at 224 px in batches of 128 runs one batch at a time).
/// </summary>
public static class BatchStreams
{
    /// <summary>The most activation bytes (float32 estimate, one block) the side-by-side batches may hold together.</summary>
    public const long MaxBytesInFlight = 1L << 30;

    private static readonly Lock TorchThreads = new();

    /// <summary>Streams for a pass of <paramref name="batches"/> batches of <paramref name="bytesPerBatch"/> each on
    /// <paramref name="threads"/> threads: 1 off the CPU, with one thread or one batch; else as many as threads and
    /// batches allow within <see cref="MaxBytesInFlight"/>.</summary>
    public static int For(torch.Device device, int threads, int batches, long bytesPerBatch)
    {
        if (device.type != DeviceType.CPU || threads < 2 || batches < 2) return 1;
        long byMemory = bytesPerBatch <= 0 ? threads : Math.Max(1, MaxBytesInFlight / bytesPerBatch);
        return (int)Math.Min(Math.Min(threads, batches), byMemory);
    }

    /// <summary>Streams for a pass over <paramref name="items"/> images in batches of <paramref name="batchSize"/>, each
    /// image taking <paramref name="bytesPerImage"/> of activations, on <see cref="ThreadBudget.Threads"/> threads.</summary>
    public static int ForSplit(torch.Device device, int items, int batchSize, long bytesPerImage) =>
        batchSize <= 0 ? 1 : For(device, ThreadBudget.Threads, (items + batchSize - 1) / batchSize, bytesPerImage * batchSize);

    /// <summary><paramref name="perBatch"/> of every batch of <paramref name="items"/> in file order, under no-grad, its
    /// results in batch order. With one stream, one batch after another, the next decoded while the current one runs; with
    /// more, that many threads (the caller's one of them) take the batches in order, each decoding and running its own on
    /// its share of the threads, libtorch's included (restored after). A failure is the first failing batch's: every batch
    /// before it was taken, so it is the one the in-order pass meets first. Results already made are disposed on a failure
    /// where they are <see cref="IDisposable"/>.</summary>
    /// <param name="progress">images done so far, rising.</param>
    public static T[] Run<T>(int streams, IReadOnlyList<LabelledImage> items, Preprocessor preprocessor, int batchSize, Func<Batch, T> perBatch,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default) where T : class
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(streams);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var outputs = new T?[(items.Count + batchSize - 1) / batchSize];
        try
        {
            if (streams == 1) InOrder(items, preprocessor, batchSize, perBatch, outputs, progress, cancellationToken);
            else SideBySide(streams, items, preprocessor, batchSize, perBatch, outputs, progress, cancellationToken);
            return outputs!;
        }
        catch
        {
            foreach (var o in outputs) (o as IDisposable)?.Dispose();
            throw;
        }
    }

    private static void InOrder<T>(IReadOnlyList<LabelledImage> items, Preprocessor preprocessor, int batchSize, Func<Batch, T> perBatch,
        T?[] outputs, IProgress<int>? progress, CancellationToken cancellationToken) where T : class
    {
        using var _ = torch.no_grad();
        int b = 0, done = 0;
        foreach (var batch in BatchLoader.Batches(items, preprocessor, batchSize))
        {
            using (batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                outputs[b++] = perBatch(batch);
                done += (int)batch.Labels.shape[0];
            }
            progress?.Report(done);
        }
    }

    private static void SideBySide<T>(int streams, IReadOnlyList<LabelledImage> items, Preprocessor preprocessor, int batchSize,
        Func<Batch, T> perBatch, T?[] outputs, IProgress<int>? progress, CancellationToken cancellationToken) where T : class
    {
        int share = Math.Max(1, ThreadBudget.Threads / streams);
        var failures = new Exception?[outputs.Length];
        int next = -1, done = 0;
        bool stop = false;
        var gate = new object();
        void Work()
        {
            using var _ = torch.no_grad(); // grad mode is per thread
            while (!Volatile.Read(ref stop) && !cancellationToken.IsCancellationRequested)
            {
                int b = Interlocked.Increment(ref next);
                if (b >= outputs.Length) return;
                try
                {
                    using (var batch = BatchLoader.LoadOne(items, preprocessor, batchSize, b, share))
                    {
                        outputs[b] = perBatch(batch);
                        lock (gate) progress?.Report(done += (int)batch.Labels.shape[0]);
                    }
                }
                catch (Exception e)
                {
                    // nothing may escape a helper thread (the process would abort): the caller rethrows it
                    failures[b] = e;
                    Volatile.Write(ref stop, true);
                    return;
                }
            }
        }
        // libtorch's thread count is one per process: two passes side by side at once (a library's callers) would each
        // restore what the other set, so they take turns
        lock (TorchThreads)
        {
            int torchThreads = torch.get_num_threads();
            torch.set_num_threads(share);
            try
            {
                var helpers = Enumerable.Range(1, streams - 1).Select(i => new Thread(Work) { IsBackground = true, Name = $"sls-batches-{i}" })
                    .ToList();
                helpers.ForEach(t => t.Start());
                Work();
                helpers.ForEach(t => t.Join());
            }
            finally
            {
                torch.set_num_threads(torchThreads);
            }
        }
        if (failures.FirstOrDefault(f => f is not null) is { } first) ExceptionDispatchInfo.Capture(first).Throw();
        cancellationToken.ThrowIfCancellationRequested();
    }
}
