namespace SlsPrune.Core.Batch;

/// <summary>The tasks a results folder should hold, and what said so (<see cref="From"/>: the manifest given to
/// <c>sls report --manifest</c>, or the records <c>sls batch</c> left in <c>OUT/batches/</c>).</summary>
public sealed record Expected(string From, IReadOnlyList<ExpectedTask> Tasks)
{
    /// <summary>From <paramref name="manifest"/> when given, else from the folder's records (every manifest run on it);
    /// null when neither says (a folder from before batches recorded their manifests).</summary>
    /// <exception cref="SlsInputException">for a manifest or a record that cannot be read.</exception>
    public static Expected? For(string outDir, string? manifest)
    {
        if (manifest is not null)
        {
            var m = BatchManifest.Load(manifest);
            return new Expected(Path.GetFullPath(manifest), BatchRecord.Of(m).Tasks);
        }
        var records = BatchRecord.ReadAll(outDir);
        if (records.Count == 0) return null;
        var tasks = records.SelectMany(r => r.Tasks).GroupBy(t => t.Name, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        return new Expected(string.Join(", ", records.Select(r => r.Manifest)), tasks);
    }
}

/// <summary>What a results folder lacks against what it should hold: tasks without a result, and tasks whose result
/// says failed. <c>sls report</c> names them on stderr and exits 3 (incomplete) unless <see cref="Complete"/>.</summary>
public sealed record Completeness(string From, int ExpectedTasks, IReadOnlyList<string> Missing, IReadOnlyList<string> Failed)
{
    public bool Complete => Missing.Count == 0 && Failed.Count == 0;

    /// <summary>One line: <c>incomplete: 2 of 4 tasks missing (b, d), 1 failed (c); expected by MANIFEST</c>.</summary>
    public string Describe()
    {
        static string Names(IReadOnlyList<string> names) =>
            string.Join(", ", names.Take(20).Select(Printable.Escape)) + (names.Count > 20 ? $", and {names.Count - 20} more" : "");
        if (Complete) return $"complete: {ExpectedTasks} of {ExpectedTasks} tasks ok";
        var parts = new List<string>();
        if (Missing.Count > 0) parts.Add($"{Missing.Count} of {ExpectedTasks} tasks missing ({Names(Missing)})");
        if (Failed.Count > 0) parts.Add($"{Failed.Count} failed ({Names(Failed)})");
        return $"incomplete: {string.Join(", ", parts)}; expected by {Printable.Escape(From)}";
    }
}
