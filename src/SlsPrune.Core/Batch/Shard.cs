namespace SlsPrune.Core.Batch;

/// <summary><c>--shard K/N</c>: task i (in manifest order) belongs to shard i mod N, so shards 0..N-1 cover
/// every task exactly once, whatever machine runs which shard.</summary>
public sealed record Shard(int Index, int Count)
{
    public static readonly Shard All = new(0, 1);

    /// <summary>K/N, or <c>slurm</c>: this Slurm array element's share (<see cref="SlurmArray"/>, from <paramref name="environment"/>,
    /// the process's own by default).</summary>
    /// <exception cref="SlsInputException">for anything but K/N with 0 &lt;= K &lt; N, or <c>slurm</c> inside a Slurm job.</exception>
    public static Shard Parse(string text, Func<string, string?>? environment = null)
    {
        if (text == SlurmArray.ShardName) return SlurmArray.Shard(environment ?? Environment.GetEnvironmentVariable);
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int k) || !int.TryParse(parts[1], out int n) || n < 1 || k < 0 || k >= n)
            throw new SlsInputException("--shard", $"'{text}' is not K/N with 0 <= K < N (or 'slurm': the Slurm array element's share)");
        return new Shard(k, n);
    }

    /// <summary>K/N, as <see cref="Parse"/> reads it.</summary>
    public override string ToString() => $"{Index}/{Count}";

    public IEnumerable<T> Select<T>(IReadOnlyList<T> items) => items.Where((_, i) => i % Count == Index);
}
