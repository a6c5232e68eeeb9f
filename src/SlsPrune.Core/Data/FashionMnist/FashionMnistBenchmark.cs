using System.Globalization;
using System.Text.Json;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.IO;
using SlsPrune.Core.Runtime;
using TorchSharp;

namespace SlsPrune.Core.Data.FashionMnist;

/// <summary>Options of <c>sls data fashion-mnist</c>. Split sizes are VTAB-1k's unless a test asks for less.</summary>
public sealed record FashionMnistOptions(string Out, int Seed = 0, string Source = FashionMnistBenchmark.DebianSource,
    int Train = 800, int Val = 200, int Test = 1000)
{
    /// <summary>Every setting at its default (output empty).</summary>
    public static readonly FashionMnistOptions Defaults = new("");
}

/// <summary>A generated downstream task.</summary>
public sealed record GeneratedTask(string Name, string Group, string Path, string Varies, IReadOnlyList<string> Classes, int ImageSize,
    int Train, int Val, int Test);

/// <summary>What <c>sls data fashion-mnist</c> wrote.</summary>
public sealed record FashionMnistResult(string Out, int Seed, string Upstream, int UpstreamImages, IReadOnlyList<GeneratedTask> Tasks);

/// <summary>
/// Builds the local VTAB-style benchmark from Debian's <c>dataset-fashion-mnist</c>, deterministically for a
/// seed: the 60k training images as the upstream set (<c>upstream/train.safetensors</c>: <c>images</c> U8
/// [60000, 28, 28], <c>labels</c> I64), and seven downstream tasks from the 10k test images in the VTAB-1k
/// layout (PNG images; train800 / val200 / train800val200 / test lists). Each task is written to a
/// temporary folder and renamed into place.
/// </summary>
public static class FashionMnistBenchmark
{
    public const string DebianSource = "/usr/share/datasets/fashion-mnist";

    public static FashionMnistResult Generate(FashionMnistOptions o, IProgress<string>? progress = null)
    {
        var train = ReadPair(o.Source, "train");
        var test = ReadPair(o.Source, "t10k");
        // tasks/NAME folders are replaced as a whole: the source must not be, or lie in, the output
        OutputPath.CheckFolder(o.Out, "--out");
        string realOut = RealPath.Resolve(o.Out), realSource = RealPath.Resolve(o.Source);
        if (realSource == realOut || realSource.StartsWith(realOut.TrimEnd('/') + "/", StringComparison.Ordinal))
            throw new SlsInputException(o.Out, $"contains the source {o.Source}; --out names a folder whose task folders are replaced (choose a "
                + $"folder outside the source)");
        Directory.CreateDirectory(o.Out);

        string upstream = Path.Combine(o.Out, "upstream", "train.safetensors");
        progress?.Report($"upstream: {train.Count} images -> {upstream}");
        using (var images = torch.tensor(train.Pixels, [train.Count, 28, 28], torch.uint8))
        using (var labels = torch.tensor(train.Labels.Select(l => (long)l).ToArray()))
            SafetensorsWriter.Write(upstream, new Dictionary<string, torch.Tensor> { ["images"] = images, ["labels"] = labels },
                new Dictionary<string, string>
                {
                    ["source"] = "Fashion-MNIST train (Debian dataset-fashion-mnist)", ["classes"] = string.Join(",",
                    BenchmarkTasks.FashionClasses)
                });

        var tasks = new List<GeneratedTask>();
        for (int t = 0; t < BenchmarkTasks.All.Count; t++)
        {
            var recipe = BenchmarkTasks.All[t];
            progress?.Report($"task {t + 1}/{BenchmarkTasks.All.Count}: {recipe.Name}");
            tasks.Add(WriteTask(o, test, recipe, t));
        }
        var result = new FashionMnistResult(Path.GetFullPath(o.Out), o.Seed, Path.GetFullPath(upstream), train.Count, tasks);
        AtomicFile.Write(Path.Combine(o.Out, "benchmark.json"), s => JsonSerializer.Serialize(s, result, JsonOptions));
        return result;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower
    };

    private static SourceImages ReadPair(string dir, string prefix)
    {
        string images = Find(dir, $"{prefix}-images-idx3-ubyte"), labels = Find(dir, $"{prefix}-labels-idx1-ubyte");
        var im = IdxFile.Read(images);
        var lb = IdxFile.Read(labels);
        if (im.TypeCode != 0x08 || im.Shape.Length != 3 || im.Shape[1] != 28 || im.Shape[2] != 28)
            throw new SlsInputException(images, $"expected unsigned-byte images [n, 28, 28], found shape [{string.Join(", ", im.Shape)}]");
        if (lb.TypeCode != 0x08 || lb.Shape.Length != 1 || lb.Shape[0] != im.Shape[0])
            throw new SlsInputException(labels, $"expected {im.Shape[0]} unsigned-byte labels");
        if (lb.Bytes.Any(l => l > 9)) throw new SlsInputException(labels, "labels must be 0..9");
        return new SourceImages(im.Bytes, lb.Bytes);
    }

    private static string Find(string dir, string stem)
    {
        foreach (var name in new[] { stem + ".gz", stem })
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        throw new SlsInputException(Path.Combine(dir, stem + ".gz"),
            "Fashion-MNIST not found: install Debian's package with 'apt-get install dataset-fashion-mnist' (or give --source DIR holding the four "
                + "*-ubyte[.gz] IDX files)");
    }

    private static GeneratedTask WriteTask(FashionMnistOptions o, SourceImages src, TaskRecipe recipe, int taskIndex)
    {
        // Reserve disjoint source images for each split: 40% / 10% / 50% of the usable test images.
        var candidates = Enumerable.Range(0, src.Count).Where(i => recipe.Uses(src.Labels[i])).ToArray();
        new Random(Seeds.Mix(o.Seed, taskIndex, -1)).Shuffle(candidates);
        int trainEnd = candidates.Length * 4 / 10, valEnd = candidates.Length / 2;
        var pools = new[] { candidates[..trainEnd], candidates[trainEnd..valEnd], candidates[valEnd..] };
        var counts = new[] { o.Train, o.Val, o.Test };
        for (int s = 0; s < 3; s++)
            if (pools[s].Length < counts[s])
                throw new SlsInputException(o.Source, $"task {recipe.Name} needs {counts[s]} source images for a split but only {pools[s].Length} "
                    + $"are available");

        string final = Path.Combine(o.Out, "tasks", recipe.Name);
        string tmp = Path.Combine(o.Out, "tasks", $".{recipe.Name}.{Environment.ProcessId}.tmp");
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(Path.Combine(tmp, "images"));
        try
        {
            var lines = new string[3][];
            int offset = 0;
            for (int s = 0; s < 3; s++)
            {
                var split = new string[counts[s]];
                int first = offset;
                var pool = pools[s];
                ParallelWork.For(counts[s], j =>
                {
                    int n = first + j;
                    var r = recipe.Render(src, pool, j, new Random(Seeds.Mix(o.Seed, taskIndex, n)));
                    string rel = $"images/{n:D5}.png";
                    File.WriteAllBytes(Path.Combine(tmp, rel), PngEncoder.Encode(r.Size, r.Size, r.Channels, r.Pixels));
                    split[j] = $"{rel} {r.Label.ToString(CultureInfo.InvariantCulture)}";
                });
                lines[s] = split;
                offset += counts[s];
            }
            File.WriteAllLines(Path.Combine(tmp, "train800.txt"), lines[0]);
            File.WriteAllLines(Path.Combine(tmp, "val200.txt"), lines[1]);
            File.WriteAllLines(Path.Combine(tmp, "train800val200.txt"), lines[0].Concat(lines[1]));
            File.WriteAllLines(Path.Combine(tmp, "test.txt"), lines[2]);
            var info = new GeneratedTask(recipe.Name, recipe.Group, Path.GetFullPath(final), recipe.Varies, recipe.Classes, recipe.Size, o.Train,
                o.Val, o.Test);
            File.WriteAllText(Path.Combine(tmp, "task.json"), JsonSerializer.Serialize(info, JsonOptions));
            if (Directory.Exists(final)) Directory.Delete(final, true);
            Directory.Move(tmp, final);
            return info;
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            throw;
        }
    }
}
