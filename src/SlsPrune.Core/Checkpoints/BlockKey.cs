using System.Globalization;

namespace SlsPrune.Core.Checkpoints;

/// <summary>The one maker and parser of block names: <c>blocks.{i}.rest</c>, the internal name of block i's tensors
/// (the converters of layouts that name blocks otherwise write it; the families, plans and PETL files read it).</summary>
public static class BlockKey
{
    public const string Prefix = "blocks.";

    /// <summary>(block, rest of the name) of <c>blocks.{i}.rest</c>, or null (also for a number past int).</summary>
    public static (int Block, string Tail)? Parse(string name)
    {
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        int dot = name.IndexOf('.', Prefix.Length);
        return dot > Prefix.Length && int.TryParse(name.AsSpan(Prefix.Length, dot - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture,
            out int b)
            ? (b, name[(dot + 1)..]) : null;
    }

    /// <summary><c>blocks.{i}.tail</c>: the name of block i's tensor <paramref name="tail"/>.</summary>
    public static string Name(int block, string tail) => $"{Prefix}{block}.{tail}";

    /// <summary><c>blocks.{i}</c>: block i's module, the prefix of its tensors' names.</summary>
    public static string Of(int block) => $"{Prefix}{block}";

    /// <summary>Number of blocks: one past the highest block index.</summary>
    public static int CountBlocks(IEnumerable<string> names) => names.Select(Parse).Where(b => b is not null).Select(b => b!.Value.Block + 1)
        .DefaultIfEmpty(0).Max();
}
