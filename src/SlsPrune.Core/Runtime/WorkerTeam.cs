using System.Runtime.ExceptionServices;

namespace SlsPrune.Core.Runtime;

/// <summary>
/// A fixed team of threads for a loop that runs many short parallel steps (t-SNE: 1000 iterations of about a
/// millisecond each). <see cref="For"/> runs items [0, count) on the caller and the team's helper threads; each
/// thread first takes the items of its own contiguous share, in order, and then takes what is left of the other
/// shares from their ends, so the items of a thread that is slowed down, or shares its core, are taken over. A step
/// waits only for the helpers that joined it: one that is not scheduled in time stays out of it.
/// <para>Why not <see cref="Parallel.For(int, int, Action{int})"/>: per step it hands work to thread-pool threads
/// that may have gone to sleep and splits the range afresh, and the pool may run more threads than cores, so a step
/// can wait on a preempted thread. On 2 cores, 1000 steps of the t-SNE repulsion (<c>SlsPrune.Bench team-steps</c>):
/// this team 1.01-1.04 ms per step (one thread: 2.08-2.11), <c>Parallel.For</c> 1.04-1.31 ms; in the FEM the fit's
/// steps went from 1.9-2.5 s to 1.6-1.7 s (docs/BENCHMARKS.md). Helpers spin briefly for the next step, then sleep
/// until it comes; the team's threads end at <see cref="Dispose"/>.</para>
/// The result must not depend on which thread runs an item: every caller writes each item's results to its own slots.
/// </summary>
public sealed class WorkerTeam : IDisposable
{
    private const int SpinsBeforeSleep = 2000;

    private readonly Thread[] _helpers;
    private readonly object _gate = new();
    private readonly Share[] _shares;
    private Action<int>? _body;
    private int _generation, _open, _active, _sleepers, _busy;
    private volatile bool _stop;
    private Exception? _failure;

    /// <summary>What is left of one thread's share: [next, end) packed in one word (next low, end high) so that a
    /// claim from either end is one compare-and-swap; padded so that two shares do not share a cache line.</summary>
    private sealed class Share
    {
#pragma warning disable CS0169 // padding
        private readonly long _p0, _p1, _p2, _p3, _p4, _p5, _p6;
#pragma warning restore CS0169
        private long _range;

        public void Set(int next, int end) => Volatile.Write(ref _range, (long)end << 32 | (uint)next);

        /// <summary>The next item from the front (the owner) or the back (a helper), or -1 when none is left.</summary>
        public int Take(bool front)
        {
            while (true)
            {
                long old = Volatile.Read(ref _range);
                int next = (int)old, end = (int)(old >> 32);
                if (next >= end) return -1;
                long taken = front ? (long)end << 32 | (uint)(next + 1) : (long)(end - 1) << 32 | (uint)next;
                if (Interlocked.CompareExchange(ref _range, taken, old) == old) return front ? next : end - 1;
            }
        }
    }

    /// <param name="threads">threads in all, the caller included; at least 1 (1: <see cref="For"/> runs serially).
    /// Default: <see cref="ThreadBudget.Threads"/> (<c>--threads</c>, the Slurm allocation, or the processor count).</param>
    public WorkerTeam(int threads = 0)
    {
        if (threads <= 0) threads = ThreadBudget.Threads;
        _shares = Enumerable.Range(0, threads).Select(_ => new Share()).ToArray();
        _helpers = new Thread[threads - 1];
        for (int t = 0; t < _helpers.Length; t++)
        {
            int me = t + 1;
            _helpers[t] = new Thread(() => HelperLoop(me)) { IsBackground = true, Name = $"sls-team-{me}" };
            _helpers[t].Start();
        }
    }

    public int Threads => _shares.Length;

    /// <summary>Runs <paramref name="body"/> for every item in [0, <paramref name="count"/>) and returns when all
    /// are done. A failure is rethrown as itself (the first one), as <see cref="ParallelWork.For"/> does. Not for
    /// concurrent calls.</summary>
    public void For(int count, Action<int> body)
    {
        ObjectDisposedException.ThrowIf(_stop, this);
        if (Interlocked.Exchange(ref _busy, 1) != 0) throw new InvalidOperationException("WorkerTeam.For is already running (not for nested or "
            + "concurrent calls)");
        try
        {
            Run(count, body);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private void Run(int count, Action<int> body)
    {
        if (_helpers.Length == 0 || count <= 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        int threads = _shares.Length;
        for (int t = 0; t < threads; t++) _shares[t].Set((int)((long)count * t / threads), (int)((long)count * (t + 1) / threads));
        _body = body;
        _failure = null;
        int step = _generation + 1;             // the caller is the only writer of _generation
        Volatile.Write(ref _open, step);
        Interlocked.Increment(ref _generation); // publishes the shares, the body and the open step (a full fence)
        if (Volatile.Read(ref _sleepers) > 0)
            lock (_gate) Monitor.PulseAll(_gate);
        Work(0);
        // Every item is taken. Close the step, then wait for the helpers that joined it; one that has not joined yet
        // (not scheduled, or asleep) sees the step closed and stays out, so it cannot hold the step up.
        Interlocked.Exchange(ref _open, 0);     // a full fence before _active is read
        var spin = new SpinWait();
        while (Volatile.Read(ref _active) != 0) spin.SpinOnce(sleep1Threshold: -1);
        _body = null;
        if (_failure is { } f) ExceptionDispatchInfo.Capture(f).Throw();
    }

    private void Work(int me)
    {
        var body = _body!;
        try
        {
            // Own share from the front, then the others' from the back.
            for (int k = 0; k < _shares.Length; k++)
            {
                var share = _shares[(me + k) % _shares.Length];
                for (int i; (i = share.Take(front: k == 0)) >= 0;) body(i);
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e is AggregateException { InnerExceptions.Count: > 0 } a ? a.InnerExceptions[0] : e, null);
            foreach (var s in _shares) s.Set(0, 0); // stop handing out items
        }
    }

    private void HelperLoop(int me)
    {
        int seen = 0;
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref _generation) == seen && !_stop)
            {
                if (++spins < SpinsBeforeSleep) { Thread.SpinWait(20); continue; }
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers); // a full fence before the generation is read again
                    while (Volatile.Read(ref _generation) == seen && !_stop) Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            if (_stop) return;
            seen = Volatile.Read(ref _generation);
            Interlocked.Increment(ref _active);   // a full fence before _open is read (the caller's side: close, then read)
            if (Volatile.Read(ref _open) == seen) Work(me);
            Interlocked.Decrement(ref _active);
        }
    }

    public void Dispose()
    {
        if (_stop) return;
        _stop = true;
        lock (_gate) Monitor.PulseAll(_gate);
        foreach (var t in _helpers) t.Join();
    }
}
