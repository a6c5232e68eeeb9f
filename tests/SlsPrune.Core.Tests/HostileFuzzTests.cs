using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Pruning;

namespace SlsPrune.Core.Tests;

/// <summary>
/// Seeded mutation fuzzing of every reader: valid small files of each format (tests/hostile/seeds) with bytes
/// flipped, cut, inserted or overwritten. Every case must end in a clean result or a clean
/// <see cref="SlsInputException"/> naming the file; anything else (an index out of range, an overflow, an
/// out-of-memory, a native crash surfacing as an exception) fails the test with the seed and the mutation.
/// </summary>
public class HostileFuzzTests
{
    private static readonly string Seeds = Path.Combine(AppContext.BaseDirectory, "hostile", "seeds");
    private const int CasesPerSeed = 600;

    public static TheoryData<string> SeedFiles() => ["small.safetensors", "small.pt", "small.npz", "small.png", "small.jpg", "index.sls.json"];

    [Theory]
    [MemberData(nameof(SeedFiles))]
    public void Mutated_files_end_in_a_result_or_a_clean_error(string seed)
    {
        byte[] original = File.ReadAllBytes(Path.Combine(Seeds, seed));
        Assert.Null(Record.Exception(() => Read(Path.Combine(Seeds, seed), original))); // the seed itself is valid
        string dir = Directory.CreateTempSubdirectory("sls-fuzz-").FullName;
        var rng = new Random(seed.Aggregate(20261122, (h, c) => h * 31 + c)); // stable across runs (string.GetHashCode is not)
        int clean = 0, refused = 0;
        try
        {
            for (int i = 0; i < CasesPerSeed; i++)
            {
                var (bytes, what) = Mutate(original, rng);
                string path = Path.Combine(dir, $"{i}{Path.GetExtension(seed)}");
                File.WriteAllBytes(path, bytes);
                try
                {
                    Read(path, bytes);
                    clean++;
                }
                catch (SlsInputException e)
                {
                    Assert.StartsWith(path, e.Message, StringComparison.Ordinal); // the message names the file
                    Assert.False(e.Message.Contains('\n', StringComparison.Ordinal), $"{seed}, case {i} ({what}): a message of several lines: {e.Message}");
                    refused++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"{seed}, case {i} ({what}): {e.GetType().Name}: {e.Message}");
                }
                File.Delete(path);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
        Assert.Equal(CasesPerSeed, clean + refused);
        Assert.True(refused > CasesPerSeed / 10, $"only {refused} of {CasesPerSeed} mutations were refused: the mutations miss the structure");
    }

    private static void Read(string path, byte[] bytes)
    {
        switch (Path.GetExtension(path))
        {
            case ".png":
            case ".jpg":
                ImageDecoder.Decode(bytes, path);
                break;
            case ".json":
                PruningIndex.Load(path);
                break;
            default:
                using (var c = CheckpointFile.Open(path))
                    foreach (var t in c.Tensors)
                        c.Read(t.Name).Dispose();
                break;
        }
    }

    private static (byte[] Bytes, string What) Mutate(byte[] src, Random rng)
    {
        var b = src.ToList();
        int kind = rng.Next(5);
        int at = rng.Next(Math.Max(1, b.Count));
        switch (kind)
        {
            case 0: // flip 1..8 random bits
                int flips = rng.Next(1, 9);
                for (int k = 0; k < flips; k++) { int p = rng.Next(b.Count); b[p] ^= (byte)(1 << rng.Next(8)); }
                return ([.. b], $"{flips} bit flips");
            case 1: // truncate
                return ([.. b.Take(at)], $"truncated to {at} bytes");
            case 2: // insert random bytes
                int n = rng.Next(1, 17);
                var ins = new byte[n];
                rng.NextBytes(ins);
                b.InsertRange(at, ins);
                return ([.. b], $"{n} bytes inserted at {at}");
            case 3: // overwrite a run with 0xFF (huge lengths and sizes)
                int len = Math.Min(rng.Next(1, 9), b.Count - at);
                for (int k = 0; k < len; k++) b[at + k] = 0xFF;
                return ([.. b], $"{len} bytes set to 0xFF at {at}");
            default: // delete a run
                int del = Math.Min(rng.Next(1, 17), b.Count - at);
                b.RemoveRange(at, del);
                return ([.. b], $"{del} bytes deleted at {at}");
        }
    }
}
