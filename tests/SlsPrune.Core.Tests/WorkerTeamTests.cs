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
        // Item 0 (the caller's share) blocks until another thread has run an item of the caller's share from its
        // back: that happens only if the helper, done with its own share, takes from the others'.
        using var team = new WorkerTeam(2);
        var ranBy = new int[100];
        using var stolen = new ManualResetEventSlim();
        int caller = Environment.CurrentManagedThreadId;
        team.For(100, i =>
        {
            ranBy[i] = Environment.CurrentManagedThreadId;
            if (i is > 0 and < 50 && ranBy[i] != caller) stolen.Set();
            if (i == 0) Assert.True(stolen.Wait(TimeSpan.FromSeconds(30)), "the helper never took an item of the caller's share");
        });
        Assert.Equal(caller, ranBy[0]);
        Assert.Contains(ranBy[1..50], t => t != caller);
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
    public void DisposedTeamRefusesWork()
    {
        var team = new WorkerTeam(2);
        team.Dispose();
        team.Dispose();
        Assert.Throws<ObjectDisposedException>(() => team.For(3, _ => { }));
    }
}
