using SlsPrune.Core;
using SlsPrune.Core.Runtime;
using Xunit;

namespace SlsPrune.Core.Tests;

public class WorkerTeamTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 7)]
    [InlineData(2, 1)]
    [InlineData(2, 1001)]
    [InlineData(3, 10)]
    [InlineData(4, 3)]
    public void EveryItemRunsExactlyOnceInEveryStep(int threads, int count)
    {
        using var team = new WorkerTeam(threads);
        Assert.Equal(threads, team.Threads);
        for (int step = 0; step < 200; step++)
        {
            var runs = new int[count];
            team.For(count, i => Interlocked.Increment(ref runs[i]));
            Assert.All(runs, r => Assert.Equal(1, r));
        }
    }

    [Fact]
    public void AThreadThatIsHeldUpIsHelpedOut()
    {
        // The first item of the first share to run (on whichever thread) blocks until another thread has run an item of
        // that share: that happens only if a thread done with its own share takes from the others'.
        using var team = new WorkerTeam(2);
        var ranBy = new int[100];
        int first = -1;
        using var helped = new ManualResetEventSlim();
        team.For(100, i =>
        {
            int me = Environment.CurrentManagedThreadId;
            ranBy[i] = me;
            if (i >= 50) return;
            if (Interlocked.CompareExchange(ref first, me, -1) == -1)
                Assert.True(helped.Wait(TimeSpan.FromSeconds(30)), "no other thread took an item of the held-up thread's share");
            else if (me != Volatile.Read(ref first)) helped.Set();
        });
        Assert.True(ranBy[..50].Distinct().Count() == 2, "the first share ran on one thread only");
    }

    [Fact]
    public void AFailureIsRethrownAsItselfAndTheTeamStaysUsable()
    {
        using var team = new WorkerTeam(2);
        var e = Assert.Throws<SlsInputException>(() => team.For(1000, i =>
        {
            if (i == 700) throw new SlsInputException("x.png", "broken");
        }));
        Assert.Contains("broken", e.Message);
        int sum = 0;
        team.For(100, i => Interlocked.Add(ref sum, i));
        Assert.Equal(4950, sum);
    }

    [Fact]
    public void StepsAfterASleepStillRun()
    {
        // Helpers spin for a while, then sleep: a step that comes after they sleep must wake them. The caller's first
        // item waits until a helper has run an item, which only a woken helper can do.
        using var team = new WorkerTeam(2);
        int caller = Environment.CurrentManagedThreadId;
        for (int step = 0; step < 3; step++)
        {
            Thread.Sleep(50);
            using var helped = new ManualResetEventSlim();
            team.For(64, i =>
            {
                if (Environment.CurrentManagedThreadId != caller) helped.Set();
                if (i == 0) Assert.True(helped.Wait(TimeSpan.FromSeconds(30)), "no helper ran an item after sleeping");
            });
        }
    }

    [Fact]
    public void A_nested_call_is_refused()
    {
        using var team = new WorkerTeam(2);
        var e = Assert.Throws<InvalidOperationException>(() => team.For(4, i => { if (i == 0) team.For(2, _ => { }); }));
        Assert.Contains("already running", e.Message);
        int sum = 0;
        team.For(10, i => Interlocked.Add(ref sum, i));
        Assert.Equal(45, sum);
    }

    [Fact]
    public void DisposedTeamRefusesWork()
    {
        var team = new WorkerTeam(2);
        team.Dispose();
        team.Dispose();
        Assert.Throws<ObjectDisposedException>(() => team.For(3, _ => { }));
    }
}
