using SlsPrune.Core;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Core.Tests;

/// <summary>The thread count from <c>--threads</c>, the Slurm allocation, OpenMP's variable, or the processors.</summary>
public class ThreadBudgetTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars) => name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void The_option_wins_then_the_slurm_allocation_then_openmp_then_the_processors()
    {
        var all = Env(("SLURM_CPUS_PER_TASK", "3"), ("SLURM_JOB_CPUS_PER_NODE", "5"), ("OMP_NUM_THREADS", "7"));
        Assert.Equal(new ThreadChoice(2, "--threads"), ThreadBudget.Choose(2, all, 16));
        Assert.Equal(new ThreadChoice(3, "SLURM_CPUS_PER_TASK"), ThreadBudget.Choose(null, all, 16));
        Assert.Equal(new ThreadChoice(5, "SLURM_JOB_CPUS_PER_NODE"), ThreadBudget.Choose(null, Env(("SLURM_JOB_CPUS_PER_NODE", "5"),
            ("OMP_NUM_THREADS", "7")), 16));
        Assert.Equal(new ThreadChoice(7, "OMP_NUM_THREADS"), ThreadBudget.Choose(null, Env(("OMP_NUM_THREADS", "7")), 16));
        Assert.Equal(new ThreadChoice(16, "processors"), ThreadBudget.Choose(null, Env(), 16));
        Assert.False(ThreadBudget.Choose(null, Env(), 16).Asked);
        Assert.True(ThreadBudget.Choose(null, all, 16).Asked);
    }

    [Fact]
    public void Slurm_per_node_lists_and_openmp_nested_lists_give_their_first_count()
    {
        Assert.Equal(2, ThreadBudget.Choose(null, Env(("SLURM_JOB_CPUS_PER_NODE", "2(x3)")), 16).Threads);
        Assert.Equal(4, ThreadBudget.Choose(null, Env(("SLURM_JOB_CPUS_PER_NODE", "4,2")), 16).Threads);
        Assert.Equal(6, ThreadBudget.Choose(null, Env(("OMP_NUM_THREADS", "6,2")), 16).Threads);
        // an OpenMP value that is not a count is libtorch's to read, not ours to refuse: the processors
        Assert.Equal(new ThreadChoice(16, "processors"), ThreadBudget.Choose(null, Env(("OMP_NUM_THREADS", "auto")), 16));
    }

    [Fact]
    public void A_count_out_of_range_is_refused_naming_where_it_came_from()
    {
        var e = Assert.Throws<SlsInputException>(() => ThreadBudget.Choose(0, Env(), 16));
        Assert.Equal(("--threads", "must be an integer within 1..4096 (got 0)"), (e.Subject, e.Problem));
        var s = Assert.Throws<SlsInputException>(() => ThreadBudget.Choose(null, Env(("SLURM_CPUS_PER_TASK", "two")), 16));
        Assert.Equal(("SLURM_CPUS_PER_TASK", "'two' is not a thread count (an integer within 1..4096)"), (s.Subject, s.Problem));
        Assert.Throws<SlsInputException>(() => ThreadBudget.Choose(null, Env(("SLURM_CPUS_PER_TASK", "0")), 16));
    }

    [Fact]
    public void A_worker_team_takes_the_count_in_use()
    {
        var before = ThreadBudget.Current;
        try
        {
            ThreadBudget.Use(new ThreadChoice(3, "--threads"));
            using var team = new WorkerTeam();
            Assert.Equal(3, team.Threads);
            var seen = new int[10];
            team.For(10, i => seen[i] = i + 1);
            Assert.Equal(Enumerable.Range(1, 10), seen);
        }
        finally
        {
            ThreadBudget.Use(before);
        }
    }
}
