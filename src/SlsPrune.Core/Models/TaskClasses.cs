using SlsPrune.Core.Data;

namespace SlsPrune.Core.Models;

/// <summary>
/// Whether a task's data fits the head that classifies it (rule two: never a plausible number from a head that
/// answers another question). A head trained by <c>sls train</c> records its class names, a Hugging Face model names its
/// own head's classes (<c>id2label</c>), an index records its calibration task's; the data names its classes (a task.json,
/// class folders, a CSV's labels). Refused, unless <see cref="ModelOptions.AllowClassMismatch"/>: names that differ; a
/// head whose row count differs from the data's named classes; the backbone's own head (its upstream classes) on a task
/// with another number of classes.
/// </summary>
public static class TaskClasses
{
    /// <summary>Names shown in an error, at most; the rest are counted.</summary>
    private const int Shown = 8;

    /// <param name="recorded">further names the run was recorded with (an index's), and the file that holds them.</param>
    /// <param name="warn">receives the one line said where the check cannot be made: a backbone's own head that names no
    /// classes on data that names its own (the classes are then taken by index, which only the count confirms).</param>
    /// <exception cref="SlsInputException">naming the file that recorded the head's classes.</exception>
    public static void Check(BuiltModel built, ModelOptions options, IDataSource data, IReadOnlyList<LabelledImage> items,
        (IReadOnlyList<string>? Names, string File)? recorded = null, Action<string>? warn = null)
    {
        if (options.AllowClassMismatch) return;
        Check(new Head(built.Model.NumClasses, built.ClassNames, built.HeadSource, built.HeadFromBackbone), data, items, recorded);
        if (built.HeadFromBackbone && Meaningful(built.ClassNames) is null && Meaningful(data.ClassNames) is { } named)
            warn?.Invoke($"{built.HeadSource}: its own head records no class names, so the data's classes {List(named)} are taken as its "
                + $"{named.Count} classes in order, unchecked; give the task's PETL file (--petl) for a head trained on them");
    }

    /// <summary>A classification head: its rows, the class names recorded for it, the file it came from, and whether it
    /// is a backbone's own (pre-training) head.</summary>
    public sealed record Head(int Rows, IReadOnlyList<string>? Names, string Source, bool FromBackbone);

    /// <exception cref="SlsInputException">naming the file that recorded the head's classes.</exception>
    public static void Check(Head head, IDataSource data, IReadOnlyList<LabelledImage> items, (IReadOnlyList<string>? Names, string File)? recorded =
        null)
    {
        var dataNames = Meaningful(data.ClassNames);
        int rows = head.Rows;
        if (recorded is { Names: { } indexNames, File: var indexFile })
        {
            // an index names the classes of the run it was computed in: they must be the head's
            if (indexNames.Count != rows)
                throw new SlsInputException(indexFile, $"records {indexNames.Count} class names, but the head has {rows} rows; give the index "
                    + $"computed with this model");
            if (Meaningful(head.Names) is { } trained && Meaningful(indexNames) is { } named && !trained.SequenceEqual(named, StringComparer.Ordinal))
                throw new SlsInputException(indexFile, $"was computed for the classes {List(named)}, but the head ({head.Source}) was trained on "
                    + $"{List(trained)}; give the index computed with this model");
        }
        if (head.FromBackbone)
        {
            int dataClasses = dataNames?.Count ?? (items.Count == 0 ? 0 : items.Max(i => i.Label) + 1);
            var own = Meaningful(head.Names);
            if (own is not null && dataNames is not null && !own.SequenceEqual(dataNames, StringComparer.Ordinal))
                throw new SlsInputException(head.Source, $"its own head classifies {List(own)}, but the data's classes are {List(dataNames)}; "
                    + "give the task's PETL file (--petl), or --allow-class-mismatch to use the backbone's head anyway");
            if (dataClasses != rows)
                throw new SlsInputException(head.Source, $"its own head has {rows} classes (its pre-training task's), but the data has "
                    + $"{dataClasses}; "
                    + "give the task's PETL file (--petl), or --allow-class-mismatch to use the backbone's head anyway");
            return;
        }
        if (dataNames is null) return;
        foreach (var (names, file) in new[] { (Meaningful(head.Names), head.Source), (Meaningful(recorded?.Names), recorded?.File ?? "") })
            if (names is not null && !names.SequenceEqual(dataNames, StringComparer.Ordinal))
                throw new SlsInputException(file, $"was made for the classes {List(names)}, but the data's classes are {List(dataNames)}; "
                    + "give the task's own files, or --allow-class-mismatch to map the classes by index anyway");
        if (dataNames.Count != rows)
            throw new SlsInputException(head.Source, $"its head has {rows} classes, but the data names {dataNames.Count} ({List(dataNames)}); "
                + "give the task's own PETL file, or --allow-class-mismatch to use this head anyway");
    }

    /// <summary>Names that say something: Hugging Face's placeholders (LABEL_0, LABEL_1, ...) and bare numbers say
    /// only the count.</summary>
    private static IReadOnlyList<string>? Meaningful(IReadOnlyList<string>? names) =>
        names is null || names.Select((n, i) => n == $"LABEL_{i}" || n == i.ToString(System.Globalization.CultureInfo.InvariantCulture)).All(x => x)
            ? null : names;

    private static string List(IReadOnlyList<string> names) =>
        "[" + string.Join(", ", names.Take(Shown)) + (names.Count > Shown ? $", ... ({names.Count} in all)" : "") + "]";
}
