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

    /// <summary>The IDX files read (each as it is, or gzipped): upstream images and labels, downstream images and labels.</summary>
    private static readonly string[] SourceFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte"];

    /// <exception cref="SlsInputException">before anything is written: the source files missing or unreadable, or lying inside
    /// <see cref="FashionMnistOptions.Out"/> (through links too), or an existing task folder that is not this command's earlier
    /// output.</exception>
    /// <exception cref="OperationCanceledException">when <paramref name="cancellationToken"/> is cancelled: tasks written so far
    /// stay whole, the one under way leaves nothing.</exception>
    public static FashionMnistResult Generate(FashionMnistOptions o, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        string[] files = [.. SourceFiles.Select(stem => Find(o.Source, stem))];
        // tasks/NAME folders are replaced as a whole: the source must not be, or lie in, the output, nor any file it reads
        OutputPath.CheckFolder(o.Out, "--out");
        string realOut = RealPath.Resolve(o.Out), realSource = RealPath.Resolve(o.Source);
        if (realSource == realOut || OutputPath.Inside(realSource, realOut))
            throw new SlsInputException(o.Out, $"contains the source {o.Source}; --out names a folder whose task folders are replaced (choose a "
                + $"folder outside the source)");
        foreach (var file in files)
            if (RealPath.Resolve(file) is var real && OutputPath.Inside(real, realOut))
                throw new SlsInputException(file, $"is {real}, inside --out {o.Out}; its task folders are replaced as a whole, which would delete "
                    + $"it (keep the source outside --out)");
        foreach (var recipe in BenchmarkTasks.All) CheckEarlierTask(Path.Combine(o.Out, "tasks", recipe.Name), recipe);
        var train = ReadPair(files[0], files[1]);
        var test = ReadPair(files[2], files[3]);
        Directory.CreateDirectory(o.Out);

        cancellationToken.ThrowIfCancellationRequested();
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
            cancellationToken.ThrowIfCancellationRequested();
            var recipe = BenchmarkTasks.All[t];
            progress?.Report($"task {t + 1}/{BenchmarkTasks.All.Count}: {recipe.Name}");
            tasks.Add(WriteTask(o, test, recipe, t, cancellationToken));
        }
        cancellationToken.ThrowIfCancellationRequested();
        var result = new FashionMnistResult(Path.GetFullPath(o.Out), o.Seed, Path.GetFullPath(upstream), train.Count, tasks);
        AtomicFile.Write(Path.Combine(o.Out, "benchmark.json"), s => JsonSerializer.Serialize(s, result, JsonOptions));
        return result;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower
    };

    private static SourceImages ReadPair(string images, string labels)
    {
        var im = IdxFile.Read(images);
        var lb = IdxFile.Read(labels);
        if (im.TypeCode != 0x08 || im.Shape.Length != 3 || im.Shape[1] != 28 || im.Shape[2] != 28)
            throw new SlsInputException(images, $"expected unsigned-byte images [n, 28, 28], found shape [{string.Join(", ", im.Shape)}]");
        if (lb.TypeCode != 0x08 || lb.Shape.Length != 1 || lb.Shape[0] != im.Shape[0])
            throw new SlsInputException(labels, $"expected {im.Shape[0]} unsigned-byte labels");
        if (lb.Bytes.Any(l => l > 9)) throw new SlsInputException(labels, "labels must be 0..9");
        return new SourceImages(im.Bytes, lb.Bytes);
    }

    /// <summary>What a task folder holds when this command wrote it; an existing one is replaced only when it holds no
    /// more.</summary>
    private static readonly string[] TaskEntries = ["images", "train800.txt", "val200.txt", "train800val200.txt", "test.txt", "task.json"];

    /// <summary>An existing <c>OUT/tasks/NAME</c> is replaced only when it is empty or this command's earlier output: a
    /// folder (not a link) whose <c>task.json</c> names the task, holding the lists, <c>task.json</c> and <c>images/</c> of
    /// numbered PNG files (regular files, not links) and nothing else. The listing is bounded as a data tree's is.</summary>
    private static void CheckEarlierTask(string final, TaskRecipe recipe)
    {
        bool link = new FileInfo(final).LinkTarget is not null;
        if (!link && FileKind.Of(final) == PathKind.Missing) return;
        SlsInputException Refused(string why) => new(final, $"{why}; sls data fashion-mnist replaces a task folder as a whole (move it away "
            + $"or choose another --out)");
        if (link || FileKind.Of(final) != PathKind.Folder) throw Refused("is not a task folder written by sls data fashion-mnist");
        var entries = Directory.EnumerateFileSystemEntries(final).Select(e => Path.GetFileName(e)!).ToList();
        if (entries.Count == 0) return;
        bool written;
        try
        {
            using var doc = JsonDocument.Parse(InputFile.ReadAllText(Path.Combine(final, "task.json"), 1 << 20, "a task.json"));
            written = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("varies", out _)
                && doc.RootElement.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() == recipe.Name;
        }
        catch (Exception e) when (e is JsonException or SlsInputException)
        {
            written = false;
        }
        if (!written) throw Refused("is not a task folder written by sls data fashion-mnist");
        foreach (var entry in entries)
        {
            string at = Path.Combine(final, entry);
            bool linked = new FileInfo(at).LinkTarget is not null;
            if (!TaskEntries.Contains(entry, StringComparer.Ordinal) || linked
                || FileKind.Of(at) != (entry == "images" ? PathKind.Folder : PathKind.Regular))
                throw Refused($"holds '{Printable.Escape(entry)}', which sls data fashion-mnist does not write");
        }
        string images = Path.Combine(final, "images");
        if (!Directory.Exists(images)) return;
        int seen = 0;
        foreach (var image in Directory.EnumerateFileSystemEntries(images, "*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            if (++seen > Layouts.FolderWalk.MaxFiles) throw Refused($"holds more than {Layouts.FolderWalk.MaxFiles} images");
            string name = Path.GetFileName(image);
            if (!NumberedPng.IsMatch(name) || new FileInfo(image).LinkTarget is not null || FileKind.Of(image) != PathKind.Regular)
                throw Refused($"holds 'images/{Printable.Escape(name)}', which sls data fashion-mnist does not write");
        }
    }

    private static readonly System.Text.RegularExpressions.Regex NumberedPng = new("^[0-9]{5,10}\\.png$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

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

    private static GeneratedTask WriteTask(FashionMnistOptions o, SourceImages src, TaskRecipe recipe, int taskIndex, CancellationToken ct)
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
        // what a run killed here before left (its temporary folder, an earlier folder stepping aside) goes first
        Directory.CreateDirectory(Path.Combine(o.Out, "tasks"));
        TempName.SweepStale(Path.Combine(o.Out, "tasks"), recipe.Name, folders: true);
        string tmp = TempName.Beside(final);
        try
        {
            Directory.CreateDirectory(Path.Combine(tmp, "images"));
            var lines = new string[3][];
            int offset = 0;
            for (int s = 0; s < 3; s++)
            {
                var split = new string[counts[s]];
                int first = offset;
                var pool = pools[s];
                ParallelWork.For(counts[s], j =>
                {
                    ct.ThrowIfCancellationRequested();
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
            FolderSwap.MoveIn(tmp, final); // an earlier folder there was checked before any work
            return info;
        }
        catch (Exception e)
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            // a full disk or an I/O error names the task folder, never the hidden temporary one
            if (e is IOException io and not FileNotFoundException and not DirectoryNotFoundException) throw AtomicFile.Failed(final, io, tmp);
            throw;
        }
    }
}
