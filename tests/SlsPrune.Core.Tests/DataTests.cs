using System.Buffers.Binary;
using System.IO.Compression;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.FashionMnist;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.IO;
using TorchSharp;

namespace SlsPrune.Core.Tests;

public class IdxFileTests
{
    internal static byte[] Idx(byte type, int[] shape, byte[] data)
    {
        var b = new byte[4 + 4 * shape.Length + data.Length];
        b[2] = type;
        b[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), shape[i]);
        data.CopyTo(b, 4 + 4 * shape.Length);
        return b;
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    [Fact]
    public void Reads_unsigned_bytes_plain_and_gzipped()
    {
        var dir = Directory.CreateTempSubdirectory("sls-idx-").FullName;
        var data = Enumerable.Range(0, 24).Select(i => (byte)(i * 10)).ToArray();
        File.WriteAllBytes(Path.Combine(dir, "a"), Idx(0x08, [2, 3, 4], data));
        File.WriteAllBytes(Path.Combine(dir, "a.gz"), Gzip(Idx(0x08, [2, 3, 4], data)));
        foreach (var f in new[] { "a", "a.gz" })
        {
            var a = IdxFile.Read(Path.Combine(dir, f));
            Assert.Equal(new[] { 2, 3, 4 }, a.Shape);
            Assert.Equal(data, a.Bytes);
        }
    }

    [Fact]
    public void Reads_big_endian_wider_types()
    {
        var raw = new byte[] { 0xFF, 0xFE, 0x01, 0x00 }; // int16 BE: -2, 256
        var a = IdxFile.Parse(Idx(0x0B, [2], raw), "x");
        Assert.Equal(new[] { -2.0, 256.0 }, a.ToDoubles());
        var f = new byte[4];
        BinaryPrimitives.WriteSingleBigEndian(f, 1.5f);
        Assert.Equal(new[] { 1.5 }, IdxFile.Parse(Idx(0x0D, [1], f), "x").ToDoubles());
    }

    [Fact]
    public void Bad_files_are_input_errors()
    {
        Assert.Contains("truncated", Assert.Throws<SlsInputException>(() => IdxFile.Parse(Idx(0x08, [10], new byte[5]), "f")).Message,
            StringComparison.Ordinal);
        Assert.Contains("bad magic", Assert.Throws<SlsInputException>(() => IdxFile.Parse([1, 2, 8, 1, 0, 0, 0, 0], "f")).Message,
            StringComparison.Ordinal);
        Assert.Contains("element type", Assert.Throws<SlsInputException>(() => IdxFile.Parse(Idx(0x07, [1], [0]), "f")).Message,
            StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Real_fashion_mnist_header_when_installed()
    {
        string p = Path.Combine(FashionMnistBenchmark.DebianSource, "t10k-labels-idx1-ubyte.gz");
        Skip.IfNot(File.Exists(p), $"{p} is missing: the Debian package dataset-fashion-mnist is optional for the tests");
        var a = IdxFile.Read(p);
        Assert.Equal(new[] { 10000 }, a.Shape);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, a.Bytes.Count(l => l == c)));
    }
}

public class VtabTaskTests
{
    private static string MakeTask(Action<string> write)
    {
        var dir = Directory.CreateTempSubdirectory("sls-task-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "images", "sub dir"));
        var png = PngEncoder.Encode(2, 2, 1, new byte[4]);
        File.WriteAllBytes(Path.Combine(dir, "images", "a.png"), png);
        File.WriteAllBytes(Path.Combine(dir, "images", "sub dir", "b c.png"), png);
        write(dir);
        return dir;
    }

    [Fact]
    public void Reads_lines_with_labels_as_given_and_spaces_in_paths()
    {
        var dir = MakeTask(d => File.WriteAllLines(Path.Combine(d, "train800.txt"), ["images/a.png 7", "", "images/sub dir/b c.png\t0"]));
        var items = VtabTask.Open(dir).Read("train800");
        Assert.Equal(2, items.Count);
        Assert.Equal(7, items[0].Label);
        Assert.EndsWith(Path.Combine("sub dir", "b c.png"), items[1].Path, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("images/a.png", "train800.txt:1", "expected 'relative/path label'")]
    [InlineData("images/a.png x", "train800.txt:1", "not an integer")]
    [InlineData("images/a.png -1", "train800.txt:1", "negative")]
    [InlineData("images/missing.png 1", "train800.txt:1", "does not exist")]
    [InlineData("images/a.png 5", "train800.txt:1", "head has 5")]
    public void Bad_lines_name_file_and_line(string line, string where, string problem)
    {
        var dir = MakeTask(d => File.WriteAllLines(Path.Combine(d, "train800.txt"), [line]));
        var e = Assert.Throws<SlsInputException>(() => VtabTask.Open(dir).Read("train800", numClasses: 5));
        Assert.EndsWith(where, e.Subject, StringComparison.Ordinal);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_list_and_folder_are_input_errors()
    {
        var dir = MakeTask(_ => { });
        Assert.Contains("test.txt", Assert.Throws<SlsInputException>(() => VtabTask.Open(dir).Read("test")).Message, StringComparison.Ordinal);
        Assert.Throws<SlsInputException>(() => VtabTask.Open(Path.Combine(dir, "nope")));
    }
}

public class FashionMnistBenchmarkTests
{
    /// <summary>Synthetic IDX files shaped like Fashion-MNIST: a centred bright block whose height encodes the class.</summary>
    private static string Source(int train, int test)
    {
        var dir = Directory.CreateTempSubdirectory("sls-fm-src-").FullName;
        foreach (var (prefix, n) in new[] { ("train", train), ("t10k", test) })
        {
            var images = new byte[n * 784];
            var labels = new byte[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = (byte)(i % 10);
                for (int y = 13 - labels[i]; y < 15 + labels[i]; y++)
                    for (int x = 9; x < 19; x++) images[i * 784 + y * 28 + x] = (byte)(120 + i % 100);
            }
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz"), IdxFileTests.Gzip(IdxFileTests.Idx(0x08, [n, 28, 28], images)));
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte"), IdxFileTests.Idx(0x08, [n], labels));
        }
        return dir;
    }

    private static readonly Lazy<string> SmallSource = new(() => Source(50, 600));

    private static FashionMnistResult Generate(int seed, out string outDir)
    {
        outDir = Directory.CreateTempSubdirectory("sls-fm-out-").FullName;
        return FashionMnistBenchmark.Generate(new FashionMnistOptions(outDir, seed, SmallSource.Value, Train: 16, Val: 4, Test: 20));
    }

    private static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".json", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    [Fact]
    public void Writes_upstream_and_seven_tasks_across_three_groups()
    {
        var r = Generate(3, out var dir);
        Assert.Equal(7, r.Tasks.Count);
        Assert.Equal(new[] { "natural", "specialized", "structured" }, r.Tasks.Select(t => t.Group).Distinct().Order().ToArray());
        using (var up = SafetensorsFile.Open(r.Upstream))
        {
            Assert.Equal(new long[] { 50, 28, 28 }, up.Tensors.Single(t => t.Name == "images").Shape);
            Assert.Equal(TensorDType.U8, up.Tensors.Single(t => t.Name == "images").DType);
            using var labels = up.Read("labels");
            Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)(i % 10)).ToArray(), labels.data<long>().ToArray());
        }
        foreach (var t in r.Tasks)
        {
            var task = VtabTask.Open(t.Path);
            var train = task.Read("train800", t.Classes.Count);
            var val = task.Read("val200", t.Classes.Count);
            var both = task.Read("train800val200", t.Classes.Count);
            var test = task.Read("test", t.Classes.Count);
            Assert.Equal((16, 4, 20), (train.Count, val.Count, test.Count));
            Assert.Equal(train.Concat(val).Select(i => i.Path), both.Select(i => i.Path));
            Assert.Empty(train.Select(i => i.Path).Intersect(test.Select(i => i.Path)));
            var img = ImageDecoder.Decode(File.ReadAllBytes(test[0].Path), test[0].Path);
            Assert.Equal((t.ImageSize, t.ImageSize), (img.Width, img.Height));
        }
        Assert.Empty(Directory.GetDirectories(Path.Combine(dir, "tasks"), ".*"));
        Assert.True(File.Exists(Path.Combine(dir, "benchmark.json")));
    }

    [Fact]
    public void Same_seed_gives_identical_bytes_and_another_seed_differs()
    {
        Generate(5, out var a);
        Generate(5, out var b);
        Generate(6, out var c);
        var sa = Snapshot(a);
        var sb = Snapshot(b);
        Assert.Equal(sa.Keys.Order(), sb.Keys.Order());
        foreach (var (k, v) in sa) Assert.True(v.AsSpan().SequenceEqual(sb[k]), k);
        var sc = Snapshot(c);
        Assert.Contains(sa.Keys.Where(k => k.EndsWith(".png", StringComparison.Ordinal)), k => !sa[k].AsSpan().SequenceEqual(sc[k]));
    }

    [Fact]
    public void Location_labels_are_the_bin_of_the_item_centre()
    {
        var r = Generate(1, out _);
        var t = r.Tasks.Single(x => x.Name == "structured-location");
        foreach (var item in VtabTask.Open(t.Path).Read("test"))
        {
            var img = ImageDecoder.Decode(File.ReadAllBytes(item.Path), item.Path);
            var cols = Enumerable.Range(0, img.Width).Where(x => Enumerable.Range(0, img.Height).Any(y => img.Pixels[(y * img.Width + x) * 3] > 0))
                .ToList();
            double centre = (cols.Min() + cols.Max() + 1) / 2.0;
            Assert.InRange(centre, 8 + 8 * item.Label - 1, 16 + 8 * item.Label + 1);
        }
    }

    [Fact]
    public void Subset_task_uses_only_its_classes()
    {
        var r = Generate(2, out _);
        var t = r.Tasks.Single(x => x.Name == "natural-subset-scale");
        Assert.Equal(new[] { "T-shirt/top", "Trouser", "Sandal", "Sneaker", "Bag" }, t.Classes);
        Assert.All(VtabTask.Open(t.Path).Read("test"), i => Assert.InRange(i.Label, 0, 4));
    }

    private sealed class Sync(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    private static void AssertSameFiles(Dictionary<string, byte[]> before, Dictionary<string, byte[]> after)
    {
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        foreach (var (k, v) in before) Assert.True(v.AsSpan().SequenceEqual(after[k]), k);
    }

    /// <summary>The audit's case: the IDX files given through <c>--source</c> are links into a task folder of <c>--out</c>,
    /// which a run replaces as a whole; the source folder itself lies outside. Each file's real path is compared.</summary>
    [Fact]
    public void Source_files_linked_from_inside_the_output_are_refused_and_kept()
    {
        string outDir = Directory.CreateTempSubdirectory("sls-fm-out-").FullName;
        string keep = Path.Combine(outDir, "tasks", "structured-location", "keep"), src = Directory.CreateTempSubdirectory("sls-fm-links-").FullName;
        Directory.CreateDirectory(keep);
        foreach (var f in Directory.GetFiles(SmallSource.Value))
        {
            string copy = Path.Combine(keep, Path.GetFileName(f));
            File.Copy(f, copy);
            File.CreateSymbolicLink(Path.Combine(src, Path.GetFileName(f)), copy);
        }
        var before = Snapshot(outDir);
        var e = Assert.Throws<SlsInputException>(() => FashionMnistBenchmark.Generate(new FashionMnistOptions(outDir, 1, src, 16, 4, 20)));
        Assert.Equal($"{src}/train-images-idx3-ubyte.gz: is {keep}/train-images-idx3-ubyte.gz, inside --out {outDir}; its task folders are "
            + "replaced as a whole, which would delete it (keep the source outside --out)", e.Message);
        AssertSameFiles(before, Snapshot(outDir));
    }

    /// <summary>A task folder is replaced as a whole: only an earlier output of this command holding nothing else is, and
    /// what a killed run left in <c>tasks/</c> (this host's, its process gone) is swept by the next run.</summary>
    [Fact]
    public void An_existing_task_folder_is_replaced_only_when_it_holds_what_this_command_writes()
    {
        Generate(1, out var dir);
        string tasks = Path.Combine(dir, "tasks"), rotation = Path.Combine(tasks, "structured-rotation"), count = Path.Combine(tasks,
            "structured-count");
        var again = new FashionMnistOptions(dir, 2, SmallSource.Value, Train: 16, Val: 4, Test: 20);
        const string Tail = "; sls data fashion-mnist replaces a task folder as a whole (move it away or choose another --out)";
        void Refused(string expected)
        {
            var before = Snapshot(dir);
            Assert.Equal(expected + Tail, Assert.Throws<SlsInputException>(() => FashionMnistBenchmark.Generate(again)).Message);
            AssertSameFiles(before, Snapshot(dir));
        }
        File.WriteAllText(Path.Combine(rotation, "NOTES.txt"), "mine");
        Refused($"{rotation}: holds 'NOTES.txt', which sls data fashion-mnist does not write");
        File.Delete(Path.Combine(rotation, "NOTES.txt"));
        File.WriteAllText(Path.Combine(rotation, "images", ".notes"), "mine");
        Refused($"{rotation}: holds 'images/.notes', which sls data fashion-mnist does not write");
        File.Delete(Path.Combine(rotation, "images", ".notes"));
        Directory.Delete(count, true);
        Directory.CreateDirectory(count);
        File.WriteAllText(Path.Combine(count, "mine.txt"), "mine");
        Refused($"{count}: is not a task folder written by sls data fashion-mnist");
        Directory.Delete(count, true);

        string stale = Path.Combine(tasks, $".structured-count.{TempName.Host}.{int.MaxValue}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(Path.Combine(stale, "images"));
        File.WriteAllText(Path.Combine(stale, "images", "00000.png"), "half");
        string otherHost = Path.Combine(tasks, $".structured-count.other-node.{int.MaxValue}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(otherHost);
        var r = FashionMnistBenchmark.Generate(again);
        Assert.Equal(7, r.Tasks.Count);
        Assert.Equal([Path.GetFileName(otherHost)], Directory.GetDirectories(tasks, ".*").Select(Path.GetFileName));
        Assert.Equal(20, File.ReadAllLines(Path.Combine(count, "test.txt")).Length);
        Assert.Equal(40, Directory.GetFiles(Path.Combine(rotation, "images")).Length);
    }

    /// <summary>Ctrl-C: the token is checked between tasks and images, so the run stops in the task under way, which
    /// leaves nothing; the tasks written before stay whole, and no benchmark.json claims the set is complete.</summary>
    [Fact]
    public void Cancelled_it_stops_in_the_task_under_way_with_earlier_tasks_whole()
    {
        string outDir = Directory.CreateTempSubdirectory("sls-fm-out-").FullName;
        using var stop = new CancellationTokenSource();
        var seen = new List<string>();
        var progress = new Sync(line =>
        {
            seen.Add(line);
            if (line.StartsWith("task 3/7", StringComparison.Ordinal)) stop.Cancel();
        });
        Assert.Throws<OperationCanceledException>(() => FashionMnistBenchmark.Generate(new FashionMnistOptions(outDir, 1, SmallSource.Value, 16,
            4, 20), progress, stop.Token));
        Assert.Equal("task 3/7: specialized-inverted-lowcontrast", seen[^1]);
        string tasks = Path.Combine(outDir, "tasks");
        Assert.Equal(["natural-colour-texture", "natural-subset-scale"], Directory.GetFileSystemEntries(tasks).Select(Path.GetFileName)
            .Order(StringComparer.Ordinal));
        foreach (var t in Directory.GetDirectories(tasks))
            Assert.Equal(20, VtabTask.Open(t).Read("test").Count);
        Assert.False(File.Exists(Path.Combine(outDir, "benchmark.json")));
    }

    [Fact]
    public void Missing_source_names_the_debian_package()
    {
        var empty = Directory.CreateTempSubdirectory("sls-fm-empty-").FullName;
        var e = Assert.Throws<SlsInputException>(() => FashionMnistBenchmark.Generate(new FashionMnistOptions(Path.Combine(empty, "out"),
            Source: empty)));
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message, StringComparison.Ordinal);
    }
}

public class PreprocessorTests
{
    private static readonly string Images = Path.Combine(AppContext.BaseDirectory, "fixtures", "images");

    [Fact]
    public void Normalisation_matches_torchvision_to_float_precision()
    {
        using var f = SafetensorsFile.Open(Path.Combine(Images, "expected.safetensors"));
        using var expected = f.Read("norm.rgb.png.16x16");
        var p = new Preprocessor(16, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
        using var batch = p.Load([Path.Combine(Images, "rgb.png"), Path.Combine(Images, "rgb.png")]);
        Assert.Equal(new long[] { 2, 3, 16, 16 }, batch.shape);
        Assert.True((batch[1] - expected).abs().max().item<float>() <= 1e-6f);
    }

    [Fact]
    public void Batches_keep_file_order_and_shuffle_is_seeded()
    {
        var files = Directory.GetFiles(Images, "*.png").Order().ToList();
        var items = files.Select((f, i) => new LabelledImage(f, i)).ToList();
        var p = new Preprocessor(8, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]);
        var labels = BatchLoader.Batches(items, p, 3).SelectMany(b => b.Labels.data<long>().ToArray()).ToList();
        Assert.Equal(Enumerable.Range(0, items.Count).Select(i => (long)i), labels);
        var s1 = BatchLoader.Order(items, 42).Select(i => i.Label).ToList();
        var s2 = BatchLoader.Order(items, 42).Select(i => i.Label).ToList();
        var s3 = BatchLoader.Order(items, 43).Select(i => i.Label).ToList();
        Assert.Equal(s1, s2);
        Assert.NotEqual(s1, s3);
        Assert.Equal(items.Select(i => i.Label).Order(), s1.Order());
        var shuffled = BatchLoader.Batches(items, p, 4, shuffleSeed: 42).SelectMany(b => b.Labels.data<long>().ToArray()).Select(l => (int)l);
        Assert.Equal(s1, shuffled);
    }

    /// <summary>A stand-in for a batch: says whether it was disposed.</summary>
    private sealed class Probe(int index) : IDisposable
    {
        public int Index { get; } = index;

        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void Prefetched_batch_is_disposed_when_the_consumer_takes_fewer()
    {
        // Taylor gradients take the first few batches: the one loading behind them used to be left to the finalizer,
        // still loading (in libtorch) while the caller went on.
        var made = new System.Collections.Concurrent.ConcurrentDictionary<int, Probe>();
        var taken = BatchLoader.Prefetched(5, i => made.GetOrAdd(i, k => new Probe(k))).Take(2).ToList();
        Assert.Equal([0, 1], taken.Select(p => p.Index));
        Assert.True(made[2].Disposed);                    // loaded behind the second, disposed when the enumeration ended
        Assert.All(taken, p => Assert.False(p.Disposed)); // what the consumer holds stays its own
        Assert.Equal(3, made.Count);                      // nothing loads after the end
    }

    [Fact]
    public void Prefetched_batch_is_disposed_when_the_consumer_fails()
    {
        var made = new System.Collections.Concurrent.ConcurrentDictionary<int, Probe>();
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var p in BatchLoader.Prefetched(4, i => made.GetOrAdd(i, k => new Probe(k))))
                if (p.Index == 1) throw new InvalidOperationException("consumer failed");
        });
        Assert.True(made[2].Disposed);
        Assert.False(made.ContainsKey(3));
    }

    [Fact]
    public void Prefetched_failure_of_an_unasked_batch_is_dropped_and_an_asked_one_is_thrown()
    {
        Probe Load(int i) => i == 1 ? throw new SlsInputException("b1", "cannot decode") : new Probe(i);
        Assert.Single(BatchLoader.Prefetched(3, Load).Take(1));  // batch 1 failed behind the consumer, who never asked for it
        var e = Assert.Throws<SlsInputException>(() => BatchLoader.Prefetched(3, Load).ToList());
        Assert.Equal("b1", e.Subject);
    }

    [Fact]
    public void Corrupt_image_in_a_batch_names_the_file()
    {
        var dir = Directory.CreateTempSubdirectory("sls-corrupt-").FullName;
        string bad = Path.Combine(dir, "bad.png");
        File.WriteAllBytes(bad, File.ReadAllBytes(Path.Combine(Images, "rgb.png"))[..100]);
        var p = new Preprocessor(8, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]);
        var e = Assert.Throws<SlsInputException>(() => p.Load([Path.Combine(Images, "rgb.png"), bad]));
        Assert.Equal(bad, e.Subject);
    }
}
