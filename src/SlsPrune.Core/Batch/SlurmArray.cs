using System.Globalization;

namespace SlsPrune.Core.Batch;

/// <summary>
/// <c>--shard slurm</c>: this Slurm array element's share, from the variables Slurm sets. An array of ids
/// <c>MIN, MIN+STEP, ..., MAX</c> (<c>--array=0-3</c>, <c>1-4</c>, <c>0-10:2</c>; a <c>%</c> limit changes nothing) is N
/// shards, the element with id I shard (I - MIN) / STEP, so the elements cover every task exactly once whatever the
/// ids start at. An array whose ids are not such a range (<c>--array=0,1,5</c>: SLURM_ARRAY_TASK_COUNT says fewer ids
/// than MIN..MAX holds) is refused: no mapping of its ids would leave no task unassigned. A job that is not an array
/// (a plain <c>sbatch</c>, or a resubmitted single id: <c>--array=2</c>) is one shard of one: every task, and
/// <c>--resume</c> skips what is done.
/// </summary>
public static class SlurmArray
{
    public const string ShardName = "slurm";

    /// <exception cref="SlsInputException">outside a Slurm job, or for an array that is not a regular range.</exception>
    public static Shard Shard(Func<string, string?> environment)
    {
        string? Get(string name) => environment(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        int Number(string name, int min)
        {
            string text = Get(name) ?? throw new SlsInputException("--shard", $"'{ShardName}': {name} is not set (it is inside a Slurm job array; "
                + $"outside one give --shard K/N)");
            return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) && v >= min ? v
                : throw new SlsInputException("--shard", $"'{ShardName}': {name}='{Printable.Escape(text)}' is not an integer of {min} or more");
        }

        if (Get("SLURM_ARRAY_TASK_ID") is null)
        {
            if (Get("SLURM_JOB_ID") is null)
                throw new SlsInputException("--shard", $"'{ShardName}' reads the Slurm job array's variables, and this is not a Slurm job "
                    + $"(SLURM_JOB_ID and SLURM_ARRAY_TASK_ID are unset); give --shard K/N");
            return Batch.Shard.All; // one job, not an array: all of the tasks
        }
        int id = Number("SLURM_ARRAY_TASK_ID", 0), first = Number("SLURM_ARRAY_TASK_MIN", 0), last = Number("SLURM_ARRAY_TASK_MAX", first);
        int step = Get("SLURM_ARRAY_TASK_STEP") is null ? 1 : Number("SLURM_ARRAY_TASK_STEP", 1);
        int count = (last - first) / step + 1;
        if ((last - first) % step != 0)
            throw new SlsInputException("--shard", $"'{ShardName}': the array {first}-{last}:{step} does not end on its step; use --array=0-"
                + $"{count - 1} (N elements for N shards)");
        if (Get("SLURM_ARRAY_TASK_COUNT") is not null && Number("SLURM_ARRAY_TASK_COUNT", 1) is int told && told != count)
            throw new SlsInputException("--shard", $"'{ShardName}': the array has {told} ids between {first} and {last}, not a range of {count} (a "
                + $"list with gaps, e.g. --array=0,1,5); "
                + $"its elements cannot cover every task once: use a range (--array=0-{told - 1}), or --shard K/N");
        if (id < first || id > last || (id - first) % step != 0)
            throw new SlsInputException("--shard", $"'{ShardName}': SLURM_ARRAY_TASK_ID={id} is not one of the array's ids {first}-{last}:{step}");
        return new Shard((id - first) / step, count);
    }
}
