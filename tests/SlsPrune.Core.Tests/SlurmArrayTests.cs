using SlsPrune.Core;
using SlsPrune.Core.Batch;

namespace SlsPrune.Core.Tests;

/// <summary><c>--shard slurm</c>: an array element's share from the variables Slurm sets.</summary>
public class SlurmArrayTests
{
    /// <summary>The variables sbatch sets for element <paramref name="id"/> of <c>--array=MIN-MAX:STEP</c>.</summary>
    private static Func<string, string?> Array(int id, int min, int max, int step = 1, int? count = null) => name => name switch
    {
        "SLURM_JOB_ID" => "100",
        "SLURM_ARRAY_TASK_ID" => id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "SLURM_ARRAY_TASK_MIN" => min.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "SLURM_ARRAY_TASK_MAX" => max.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "SLURM_ARRAY_TASK_STEP" => step.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "SLURM_ARRAY_TASK_COUNT" => (count ?? (max - min) / step + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    [Theory]
    [InlineData(0, 3, 1)]   // --array=0-3
    [InlineData(1, 2, 1)]   // --array=1-2: 'sbatch --array=1-2' used to fail with '2/2' and leave shard 0's tasks unrun
    [InlineData(5, 9, 1)]
    [InlineData(0, 10, 2)]  // --array=0-10:2
    [InlineData(3, 3, 1)]   // one element resubmitted alone (--array=3): every task, --resume skips what is done
    public void The_elements_of_a_range_cover_every_task_exactly_once(int min, int max, int step)
    {
        var tasks = Enumerable.Range(0, 19).ToArray();
        var ids = Enumerable.Range(0, (max - min) / step + 1).Select(i => min + i * step).ToArray();
        var shards = ids.Select(id => SlurmArray.Shard(Array(id, min, max, step))).ToArray();
        Assert.All(shards, s => Assert.Equal(ids.Length, s.Count));
        Assert.Equal(Enumerable.Range(0, ids.Length), shards.Select(s => s.Index));
        Assert.Equal(tasks, shards.SelectMany(s => s.Select(tasks)).Order());
    }

    [Fact]
    public void The_mapping_of_ids_to_shards()
    {
        Assert.Equal(new Shard(0, 2), SlurmArray.Shard(Array(1, 1, 2)));
        Assert.Equal(new Shard(1, 2), SlurmArray.Shard(Array(2, 1, 2)));
        Assert.Equal(new Shard(3, 6), SlurmArray.Shard(Array(6, 0, 10, 2)));
        Assert.Equal(new Shard(0, 1), SlurmArray.Shard(Array(7, 7, 7)));
        Assert.Equal(new Shard(2, 4), Shard.Parse("slurm", Array(2, 0, 3)));
        // no STEP or COUNT (older Slurm): a step of 1
        Assert.Equal(new Shard(1, 3), SlurmArray.Shard(n => n == "SLURM_ARRAY_TASK_STEP" || n == "SLURM_ARRAY_TASK_COUNT" ? null : Array(11, 10,
            12)(n)));
        // a Slurm job that is not an array: all of the tasks
        Assert.Equal(Shard.All, SlurmArray.Shard(n => n == "SLURM_JOB_ID" ? "55" : null));
    }

    [Fact]
    public void An_array_that_would_leave_tasks_unassigned_is_refused()
    {
        // --array=0,1,5: three ids between 0 and 5, not a range; (id - min) / step would give shards 0, 1 and 5 of 6
        var gaps = Assert.Throws<SlsInputException>(() => SlurmArray.Shard(Array(5, 0, 5, 1, count: 3)));
        Assert.Equal("--shard", gaps.Subject);
        Assert.Equal("'slurm': the array has 3 ids between 0 and 5, not a range of 6 (a list with gaps, e.g. --array=0,1,5); "
            + "its elements cannot cover every task once: use a range (--array=0-2), or --shard K/N", gaps.Problem);
        Assert.Throws<SlsInputException>(() => SlurmArray.Shard(Array(4, 0, 5, 2)));  // 0-5:2 ends on 4, not 5
        Assert.Throws<SlsInputException>(() => SlurmArray.Shard(Array(3, 0, 4, 2)));  // 3 is not an id of 0-4:2
        var outside = Assert.Throws<SlsInputException>(() => SlurmArray.Shard(_ => null));
        Assert.Contains("this is not a Slurm job", outside.Problem, StringComparison.Ordinal);
        var broken = Assert.Throws<SlsInputException>(() => SlurmArray.Shard(n => n == "SLURM_ARRAY_TASK_MIN" ? null : Array(1, 0, 3)(n)));
        Assert.Equal("'slurm': SLURM_ARRAY_TASK_MIN is not set (it is inside a Slurm job array; outside one give --shard K/N)", broken.Problem);
    }
}
