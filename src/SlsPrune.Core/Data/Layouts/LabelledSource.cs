namespace SlsPrune.Core.Data.Layouts;

/// <summary>One image of a tree or CSV before classes are numbered: its path and its label as written
/// (a class folder's name, a CSV cell).</summary>
internal sealed record NamedImage(string Path, string Label);

/// <summary>An <see cref="IDataSource"/> over images already listed per split, with class names: what the
/// ImageFolder and CSV layouts open into. Class i is the i-th name in ordinal order (torchvision's ImageFolder),
/// over the union of the splits; a class in another split that the <c>train</c> split lacks is an error, a class
/// some split lacks is said.</summary>
internal sealed class LabelledSource : IDataSource
{
    private readonly Dictionary<string, IReadOnlyList<LabelledImage>> _items;
    private readonly Func<string, string> _where;

    private LabelledSource(string layout, string name, string folder, IReadOnlyList<string> splits, IReadOnlyList<string>? classNames,
        Dictionary<string, IReadOnlyList<LabelledImage>> items, Func<string, string> where)
    {
        Layout = layout;
        Name = name;
        Folder = folder;
        Splits = splits;
        ClassNames = classNames;
        _items = items;
        _where = where;
    }

    public string Layout { get; }

    public string Name { get; }

    public string Folder { get; }

    public IReadOnlyList<string> Splits { get; }

    public IReadOnlyList<string>? ClassNames { get; }

    public string Where(string split) => _where(split);

    /// <param name="byName">labels are class names (numbered here); otherwise integers kept as given.</param>
    public static LabelledSource Create(string layout, string name, string folder,
        IReadOnlyList<(string Split, IReadOnlyList<NamedImage> Images)> splits,
        bool byName, Func<string, string> where, DataOptions options)
    {
        var items = new Dictionary<string, IReadOnlyList<LabelledImage>>(StringComparer.Ordinal);
        IReadOnlyList<string>? classNames = null;
        if (byName)
        {
            var names = splits.SelectMany(s => s.Images.Select(i => i.Label)).Distinct().Order(StringComparer.Ordinal).ToArray();
            if (names.Length > VtabTask.MaxClasses) throw new SlsInputException(where(splits[0].Split),
                $"{names.Length} classes, more than the {VtabTask.MaxClasses}-class limit");
            var train = splits.FirstOrDefault(s => s.Split == "train");
            if (train.Images is not null)
            {
                var known = train.Images.Select(i => i.Label).ToHashSet(StringComparer.Ordinal);
                foreach (var (split, images) in splits)
                    if (images.FirstOrDefault(i => !known.Contains(i.Label)) is { } unknown)
                        throw new SlsInputException(where(split), $"class '{unknown.Label}' ({unknown.Path}) is not in the train split");
            }
            if (splits.Count > 1)
                foreach (var (split, images) in splits)
                {
                    var present = images.Select(i => i.Label).ToHashSet(StringComparer.Ordinal);
                    var missing = names.Where(n => !present.Contains(n)).ToArray();
                    if (missing.Length > 0)
                        options.Report?.Invoke($"split '{split}' has no images of class "
                            + $"{string.Join(", ", missing.Select(m => $"'{Printable.Escape(m)}'"))}; classes are numbered over all splits ("
                                + $"{names.Length})");
                }
            var number = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
            foreach (var (split, images) in splits)
                items[split] = images.Select(i => new LabelledImage(i.Path, number[i.Label], options.ExifTranspose)).ToArray();
            classNames = names;
        }
        else
        {
            foreach (var (split, images) in splits)
                items[split] = images.Select(i => new LabelledImage(i.Path, int.Parse(i.Label, System.Globalization.CultureInfo.InvariantCulture),
                    options.ExifTranspose)).ToArray();
        }
        return new LabelledSource(layout, name, folder, splits.Select(s => s.Split).ToArray(), classNames, items, where);
    }

    public IReadOnlyList<LabelledImage> Read(string split, int? numClasses = null)
    {
        if (!_items.TryGetValue(split, out var items))
            throw new SlsInputException(Where(split), $"has no split '{split}'; its splits: {string.Join(", ", Splits)} (give one with --split)");
        if (numClasses is int n)
        {
            if (ClassNames is { } names && names.Count > n)
                throw new SlsInputException(Where(split), $"{names.Count} classes but the head has {n}");
            if (items.FirstOrDefault(i => i.Label >= n) is { } over)
                throw new SlsInputException(over.Path, $"label {over.Label} needs at least {over.Label + 1} classes but the head has {n}");
        }
        if (items.Count == 0) throw new SlsInputException(Where(split), $"split '{split}' is empty");
        return items;
    }
}
