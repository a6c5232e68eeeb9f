using SlsPrune.Core.Runtime;
using TorchSharp;

namespace SlsPrune.Core.Features;

/// <summary>
/// How many batches of a feature pass run side by side on the CPU, each on its share of the threads. A small model's
/// operators are too small to keep two threads busy (the shipped model's forward on one thread took 1.2 s, on two 0.8 s:
/// the second thread mostly waits at the end of each operator), while two batches at once, one thread each, keep both
/// busy: the pass over 1000 images went from 0.84-0.88 s to 0.71-0.73 s, with the same bits, since each operator gives
/// the same result on one thread as on two (docs/BENCHMARKS.md, "Feature streams"). Bounded by memory: the batches in
/// flight together may take at most <see cref="MaxBytesInFlight"/> of activations (a ViT-B/16 at 224 px in batches of
/// 128 runs one batch at a time).
/// </summary>
public static class FeatureStreams
{
    /// <summary>The most activation bytes (float32 estimate, one block) the side-by-side batches may hold together.</summary>
    public const long MaxBytesInFlight = 1L << 30;

    /// <summary>Streams for a pass of <paramref name="batches"/> batches of <paramref name="bytesPerBatch"/> each on
    /// <paramref name="threads"/> threads: 1 off the CPU, with one thread or one batch; else as many as threads and
    /// batches allow within <see cref="MaxBytesInFlight"/>.</summary>
    public static int For(torch.Device device, int threads, int batches, long bytesPerBatch)
    {
        if (device.type != DeviceType.CPU || threads < 2 || batches < 2) return 1;
        long byMemory = bytesPerBatch <= 0 ? threads : Math.Max(1, MaxBytesInFlight / bytesPerBatch);
        return (int)Math.Min(Math.Min(threads, batches), byMemory);
    }
}
