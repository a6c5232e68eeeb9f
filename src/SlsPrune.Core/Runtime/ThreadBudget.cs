using System.Globalization;
using TorchSharp;

namespace SlsPrune.Core.Runtime;

/// <summary>How many threads the tool computes on, and what said so: <c>--threads</c>, a variable of the
/// environment (<see cref="ThreadBudget.Sources"/>), or the processors this process may run on.</summary>
public sealed record ThreadChoice(int Threads, string From)
{
    /// <summary>Nothing asked for a count: the processors .NET sees (affinity and cgroup limits included); libtorch keeps its own default.</summary>
    public bool Asked => From != ThreadBudget.Processors;
}

/// <summary>
/// The threads every parallel part of the tool uses: libtorch's intra-op threads (<c>torch.set_num_threads</c>), the
/// <see cref="WorkerTeam"/>'s size (the CPU t-SNE) and <see cref="ParallelWork"/>'s degree (image decoding). A batch
/// job on a shared node must not use more cores than it was given: two 1-CPU Slurm array elements on one node each
/// running on all cores took 8x as long. <see cref="Choose"/> takes, in order, <c>--threads N</c>,
/// <c>SLURM_CPUS_PER_TASK</c> (set by <c>sbatch --cpus-per-task</c>), <c>SLURM_JOB_CPUS_PER_NODE</c> (the CPUs of this
/// node's allocation; always set inside a Slurm job), <c>OMP_NUM_THREADS</c>, and otherwise the processor count.
/// </summary>
public static class ThreadBudget
{
    public const string Option = "--threads";
    public const string Processors = "processors";
    public const int Max = 4096;

    /// <summary>The environment variables read, in order of precedence (after <c>--threads</c>).</summary>
    public static readonly string[] Sources = ["SLURM_CPUS_PER_TASK", "SLURM_JOB_CPUS_PER_NODE", "OMP_NUM_THREADS"];

    private static ThreadChoice _current = new(Math.Max(1, Environment.ProcessorCount), Processors);
    private static int _torchApplied;

    /// <summary>The count in use (the processor count until <see cref="Use"/>).</summary>
    public static ThreadChoice Current => Volatile.Read(ref _current);

    public static int Threads => Current.Threads;

    /// <summary>The thread count from <c>--threads</c> (<paramref name="option"/>), then the environment, then the processors.</summary>
    /// <exception cref="SlsInputException">for an option outside 1..<see cref="Max"/>, or a Slurm variable that is not a count.</exception>
    public static ThreadChoice Choose(int? option, Func<string, string?> environment, int processors)
    {
        if (option is int n)
            return n is >= 1 and <= Max ? new ThreadChoice(n, Option) : throw new SlsInputException(Option,
                $"must be an integer within 1..{Max} (got {n})");
        foreach (string name in Sources)
        {
            string? text = environment(name);
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (Parse(name, text) is int k) return new ThreadChoice(k, name);
            // OpenMP's own syntax has more forms than a count ("4,2", "8 ", nested levels): libtorch reads it itself; not ours to refuse
            if (name == "OMP_NUM_THREADS") continue;
            throw new SlsInputException(name, $"'{Printable.Escape(text)}' is not a thread count (an integer within 1..{Max})");
        }
        return new ThreadChoice(Math.Clamp(processors, 1, Max), Processors);
    }

    /// <summary>A count: "4"; Slurm's per-node lists ("2(x3)", "4,2") give their first node's, OpenMP's nested lists their first level's.</summary>
    private static int? Parse(string name, string text)
    {
        string first = text.Trim();
        if (name != "SLURM_CPUS_PER_TASK")
        {
            int cut = first.IndexOfAny(['(', ',']);
            if (cut >= 0) first = first[..cut];
        }
        return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k is >= 1 and <= Max ? k : null;
    }

    /// <summary>Makes <paramref name="choice"/> the count of this process: <see cref="WorkerTeam"/> and <see cref="ParallelWork"/>
    /// take it from now on, and libtorch at <see cref="ApplyToTorch"/>.</summary>
    public static void Use(ThreadChoice choice)
    {
        Volatile.Write(ref _current, choice);
        Volatile.Write(ref _torchApplied, 0);
    }

    /// <summary>Sets libtorch's intra-op threads to the count asked for (once per <see cref="Use"/>); where nothing asked
    /// for a count, libtorch keeps its own default. Called where a runner picks its device (<see cref="DeviceSelector.Resolve"/>),
    /// so commands without tensors never load libtorch for it.</summary>
    public static void ApplyToTorch()
    {
        var c = Current;
        if (!c.Asked || Interlocked.Exchange(ref _torchApplied, 1) == 1) return;
        torch.set_num_threads(c.Threads);
    }
}
