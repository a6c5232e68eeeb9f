namespace SlsPrune.Core.Data;

/// <summary>Deterministic stratified sampling: how many images of each class (largest remainder, so every
/// class is within one image of its exact share), and which (a shuffle seeded per class).</summary>
public static class Stratified
{
    /// <summary>Splits <paramref name="total"/> over classes in proportion to <paramref name="sizes"/> by the
    /// largest-remainder method: each class gets the floor of its exact share, and the images left go to the largest
    /// remainders (ties to the lower class). No class gets more than it has.</summary>
    public static int[] Allocate(IReadOnlyList<int> sizes, int total) => Allocate(sizes, total, sizes);

    /// <summary>As <see cref="Allocate(IReadOnlyList{int}, int)"/>, proportional to <paramref name="sizes"/> but no class
    /// above its cap (what is left of it after an earlier split); images a capped class cannot take go to the next
    /// largest remainders with room.</summary>
    public static int[] Allocate(IReadOnlyList<int> sizes, int total, IReadOnlyList<int> caps)
    {
        long all = sizes.Sum(s => (long)s);
        long room = caps.Sum(c => (long)c);
        if (total < 0 || total > room) throw new ArgumentOutOfRangeException(nameof(total), $"{total} of {room}");
        var counts = new int[sizes.Count];
        if (all == 0 || total == 0) return counts;
        var rem = new (long Num, int Class)[sizes.Count];
        int given = 0;
        for (int c = 0; c < sizes.Count; c++)
        {
            long exact = (long)total * sizes[c];
            counts[c] = (int)Math.Min(exact / all, caps[c]);
            rem[c] = (exact % all, c);
            given += counts[c];
        }
        var order = rem.OrderByDescending(r => r.Num).ThenBy(r => r.Class).Select(r => r.Class).ToArray();
        while (given < total)
            foreach (int c in order)
            {
                if (given == total) break;
                if (counts[c] < caps[c]) { counts[c]++; given++; }
            }
        return counts;
    }

    /// <summary>Each class's images in a shuffled order, seeded by <paramref name="seed"/> and the class, so one class's
    /// draw does not depend on another's size. Within a class the input order is the unshuffled order.</summary>
    public static IReadOnlyList<IReadOnlyList<T>> Shuffled<T>(IReadOnlyList<T> items, Func<T, int> label, int classes, int seed)
    {
        var byClass = Enumerable.Range(0, classes).Select(_ => new List<T>()).ToArray();
        foreach (var i in items) byClass[label(i)].Add(i);
        return byClass.Select((l, c) =>
        {
            var a = l.ToArray();
            new Random(Runtime.Seeds.Mix(seed, 0x5eed, c)).Shuffle(a);
            return (IReadOnlyList<T>)a;
        }).ToArray();
    }

    /// <summary>A calibration sample: <paramref name="total"/> images stratified by class, or <paramref name="perClass"/>
    /// of each class (all of a smaller class), kept in the split's order.</summary>
    public static IReadOnlyList<LabelledImage> Sample(IReadOnlyList<LabelledImage> items, int? total, int? perClass, int seed)
    {
        int classes = items.Max(i => i.Label) + 1;
        var sizes = new int[classes];
        foreach (var i in items) sizes[i.Label]++;
        int[] counts = perClass is int k ? sizes.Select(s => Math.Min(s, k)).ToArray() : Allocate(sizes, Math.Min(total ?? items.Count, items.Count));
        var shuffled = Shuffled(items, i => i.Label, classes, seed);
        var chosen = new HashSet<LabelledImage>(ReferenceEqualityComparer.Instance);
        for (int c = 0; c < classes; c++) foreach (var i in shuffled[c].Take(counts[c])) chosen.Add(i);
        return items.Where(chosen.Contains).ToArray();
    }
}
