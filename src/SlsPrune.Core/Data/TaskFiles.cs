namespace SlsPrune.Core.Data;

/// <summary>Every file a task is made of, wherever it lies: each split's list or CSV file and every image its splits name
/// (links and a CSV's paths reach outside the task's folder). An output of a run that reads the task must be none of
/// them, whichever splits the run reads: a list or an image replaced changes the task for every later run.</summary>
public static class TaskFiles
{
    /// <summary>The files of <paramref name="task"/>, read when first asked for and then kept: the real path of each, for
    /// <see cref="IO.OutputPath.CheckNotAmong"/> to look outputs up in.</summary>
    public static Lazy<IReadOnlySet<string>> RealPaths(IDataSource task) =>
        new(() => Of(task).Select(IO.OutputPath.RealOf).ToHashSet(StringComparer.Ordinal));

    /// <summary>The files of <paramref name="task"/>; a split that cannot be read is left out (a run that reads it says why).</summary>
    public static IEnumerable<string> Of(IDataSource task)
    {
        foreach (var split in task.Splits)
        {
            string where = task.Where(split);
            if (File.Exists(where)) yield return where;
            IReadOnlyList<LabelledImage> items;
            try
            {
                items = task.Read(split);
            }
            catch (SlsInputException)
            {
                continue;
            }
            foreach (var item in items) yield return item.Path;
        }
    }
}
