namespace SlsPrune.Core.Data.Images;

/// <summary>
/// The decoded pixels in flight, process-wide: every image is decoded and resized under a lease of the pixels its header
/// claims, and a lease waits while the others in flight would take the total past <see cref="MaxPixels"/> (one image is
/// always let through, however large). Images of ordinary sizes decode side by side as before; huge ones (a 13000x13000
/// PNG of half a megabyte, up to the 178,956,970-pixel limit) one at a time, whatever the threads, the batch size, the
/// prefetched batch or the batches side by side, each resized and its full-size buffer let go before the next begins.
/// Without it eight such images named in a split took 7 GB with one thread and batches of one.
/// </summary>
public static class DecodeBudget
{
    /// <summary>The most claimed pixels decoded at once: a 32nd of the memory the process may use, at 3 bytes a pixel (on
    /// 24 GiB, 268 million: about 20 camera images of 12 MP side by side, or one image at the 178,956,970-pixel limit), and
    /// never below 2^26 (about 200 MB of RGB, with the decoders' own buffers twice that).</summary>
    public static readonly long MaxPixels = Math.Max(1L << 26, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 32 / 3);

    /// <summary>A released image at least this large (a 8192x8192 PNG) has its full-size buffers collected at once, not at the
    /// runtime's leisure: the next one would otherwise be allocated beside them. Camera-size images are left to the runtime.</summary>
    public const long CollectAbove = 1L << 26;

    private static readonly object Gate = new();
    private static long _inFlight;

    /// <summary>A lease of <paramref name="pixels"/> (0 for a header that cannot be read: the decoder refuses it), held until
    /// disposed.</summary>
    public static IDisposable Acquire(long pixels)
    {
        pixels = Math.Max(0, pixels);
        lock (Gate)
        {
            while (_inFlight > 0 && _inFlight + pixels > MaxPixels) Monitor.Wait(Gate);
            _inFlight += pixels;
        }
        return new Lease(pixels);
    }

    private sealed class Lease(long pixels) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            if (pixels >= CollectAbove) GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
            lock (Gate)
            {
                _inFlight -= pixels;
                Monitor.PulseAll(Gate);
            }
        }
    }
}
