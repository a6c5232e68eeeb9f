using System.Text.Json.Nodes;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Data.Layouts;
using SlsPrune.Core.Models.Petl.Methods;

namespace SlsPrune.Core.Tests;

/// <summary>The same images as a VTAB-1k task folder, an ImageFolder tree (class names with spaces and non-ASCII
/// characters) and a CSV: train, prune and eval give the same results on each.</summary>
[Collection(nameof(GlobalTorchRng))]
public class DataLayoutTests
{
    /// <summary>Class names in ordinal order, so class folder i is VTAB label i.</summary>
    internal static readonly string[] Names = ["a cat", "b ñandú", "c 猫"];

    /// <summary>Three layouts of one set of 32x32 images (20 train + 10 test per class): (vtab, tree, csv).</summary>
    internal static (string Vtab, string Tree, string Csv) Layouts()
    {
        string root = Directory.CreateTempSubdirectory("sls-layouts-").FullName;
        string vtab = Path.Combine(root, "vtab"), tree = Path.Combine(root, "tree"), csvDir = Path.Combine(root, "csv");
        Directory.CreateDirectory(Path.Combine(vtab, "images"));
        Directory.CreateDirectory(Path.Combine(csvDir, "img"));
        var rng = new Random(3);
        var train = new List<string>();
        var test = new List<string>();
        var csv = new List<string> { "file,class,split" };
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 30; i++)
            {
                var px = new byte[32 * 32 * 3];
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        for (int ch = 0; ch < 3; ch++)
                            px[(y * 32 + x) * 3 + ch] = (byte)Math.Clamp(60 * c + (c == 1 && (x / 4) % 2 == 0 ? 80 : 0) + (c == 2 && ch == 2 ? 90
                                : 0) + rng.Next(60), 0, 255);
                var png = PngEncoder.Encode(32, 32, 3, px);
                string split = i < 20 ? "train" : "test";
                string file = $"{i:D2} ü.png";
                File.WriteAllBytes(Path.Combine(vtab, "images", $"{c}_{file}"), png);
                (i < 20 ? train : test).Add($"images/{c}_{file} {c}");
                string cls = Path.Combine(tree, split, Names[c]);
                Directory.CreateDirectory(cls);
                File.WriteAllBytes(Path.Combine(cls, file), png);
                File.WriteAllBytes(Path.Combine(csvDir, "img", $"{c}_{file}"), png);
                csv.Add($"img/{c}_{file},\"{Names[c]}\",{split}");
            }
        File.WriteAllLines(Path.Combine(vtab, "train800val200.txt"), train);
        File.WriteAllLines(Path.Combine(vtab, "test.txt"), test);
        string csvFile = Path.Combine(csvDir, "labels.csv");
        File.WriteAllLines(csvFile, csv);
        return (vtab, tree, csvFile);
    }

    private static readonly DataOptions CsvColumns = new(PathColumn: "file", LabelColumn: "class");

    [Fact]
    public void Layouts_are_detected_by_content_and_read_the_same_images_and_labels()
    {
        var (vtab, tree, csv) = Layouts();
        var said = new List<string>();
        var v = DataLayouts.Open(vtab, new DataOptions(Report: said.Add));
        var t = DataLayouts.Open(tree, new DataOptions(Report: said.Add));
        var c = DataLayouts.Open(csv, CsvColumns with { Report = said.Add });
        Assert.Equal(("vtab", "imagefolder", "csv"), (v.Layout, t.Layout, c.Layout));
        Assert.Equal(["train", "test"], t.Splits);
        Assert.Equal(["train", "test"], c.Splits);
        Assert.Equal(Names, t.ClassNames);
        Assert.Equal(Names, c.ClassNames);
        Assert.Null(v.ClassNames);
        Assert.Contains(said, s => s.Contains("ImageFolder tree", StringComparison.Ordinal));
        Assert.Contains(said, s => s.Contains("CSV", StringComparison.Ordinal));
        foreach (var (vs, s) in new[] { ("train800val200", "train"), ("test", "test") })
        {
            var a = v.Read(vs).Select(i => (File.ReadAllBytes(i.Path).Length, i.Label)).ToArray();
            Assert.Equal(a, t.Read(s).Select(i => (File.ReadAllBytes(i.Path).Length, i.Label)).ToArray());
            Assert.Equal(a, c.Read(s).Select(i => (File.ReadAllBytes(i.Path).Length, i.Label)).ToArray());
            Assert.Equal(v.Read(vs).Select(i => File.ReadAllBytes(i.Path)), t.Read(s).Select(i => File.ReadAllBytes(i.Path)));
        }
        var e = Assert.Throws<SlsInputException>(() => t.Read("train800val200"));
        Assert.Equal($"{tree}: has no split 'train800val200'; its splits: train, test (give one with --split)", e.Message);
    }

    [Fact]
    public void Train_prune_and_eval_agree_across_the_three_layouts()
    {
        var (vtab, tree, csv) = Layouts();
        string dir = Directory.CreateTempSubdirectory("sls-layout-runs-").FullName;
        var model = new ModelOptions(Fixtures.File("backbone.safetensors"), Heads: 3, Device: "cpu", BatchSize: 16);
        var runs = new[] { ("vtab", vtab, "train800val200", DataOptions.Defaults), ("tree", tree, "train", DataOptions.Defaults), ("csv", csv,
            "train", CsvColumns) };
        var results = runs.Select(r =>
        {
            var (name, data, trainSplit, dataOptions) = r;
            string petl = Path.Combine(dir, name + ".petl.safetensors");
            var train = PetlTrainer.Run(new TrainOptions(model, data, new PetlSettings(new ConvpassMethod(), 8, 1.0), petl, Epochs: 2,
                WarmupEpochs: 1, Lr: 5e-3, EvalEvery: 1,
                TrainSplit: trainSplit)
            { DataOptions = dataOptions });
            // prune with the vtab run's PETL file, so every layout scores the same model
            var withPetl = model with { Petl = Path.Combine(dir, "vtab.petl.safetensors") };
            var bi = PruneMethods.Get("bi");
            var prune = PruneRunner.Run(new PruneOptions(withPetl, data, bi, bi.ReadOptions(new JsonObject { ["keep_blocks"] = 2 }, "test"),
                trainSplit,
                Path.Combine(dir, name + ".sls.json"))
            { DataOptions = dataOptions });
            var sls = PruneMethods.Get("sls");
            var slsRun = PruneRunner.Run(new PruneOptions(withPetl, data, sls, sls.ReadOptions(new JsonObject { ["perplexity"] = 10.0 }, "test"),
                trainSplit,
                Path.Combine(dir, name + ".sls-method.sls.json"))
            { DataOptions = dataOptions });
            var eval = EvalRunner.Run(new EvalOptions(withPetl, data, prune.IndexPath) { DataOptions = dataOptions });
            return (train, prune, slsRun, eval);
        }).ToArray();
        var (t0, p0, s0, e0) = results[0];
        foreach (var (t, p, s, e) in results.Skip(1))
        {
            Assert.Equal(t0.History.Select(h => (h.Loss, h.Accuracy)), t.History.Select(h => (h.Loss, h.Accuracy)));
            Assert.Equal(p0.Index.Section!.Curve(p0.Index)!.Scores, p.Index.Section!.Curve(p.Index)!.Scores);
            Assert.Equal(p0.Index.KeptBlocks, p.Index.KeptBlocks);
            Assert.Equal(s0.Index.Section!.Curve(s0.Index)!.Scores, s.Index.Section!.Curve(s.Index)!.Scores);
            Assert.Equal((e0.Images, e0.Correct, e0.Top1), (e.Images, e.Correct, e.Top1));
            Assert.Equal(Names, e.ClassNames);
            Assert.Equal(Names, p.Index.ClassNames);
            // the images used are listed beside the index and named in it
            Assert.NotNull(p.CalibrationList);
            Assert.Equal(Path.GetFileName(p.CalibrationList), p.Index.Calibration.List);
            Assert.Equal(60, File.ReadAllLines(p.CalibrationList!).Length);
        }
        Assert.Null(p0.CalibrationList); // a VTAB split is its own record
        var loaded = PruningIndex.Load(results[1].prune.IndexPath);
        Assert.Equal(Names, loaded.ClassNames);
        Assert.Equal("imagefolder", loaded.Calibration.Layout);
    }

    [Fact]
    public void A_tree_without_splits_is_sampled_stratified_for_the_seed_and_the_sample_is_listed()
    {
        var (_, tree, _) = Layouts();
        string flat = Path.Combine(tree, "train"); // ROOT/CLASS/*: one split, all
        string dir = Directory.CreateTempSubdirectory("sls-calib-").FullName;
        var model = new ModelOptions(Fixtures.File("backbone.safetensors"), Fixtures.File("convpass.pt"), Heads: 3, PetlScale: 0.7, Device: "cpu",
            BatchSize: 16)
        {
            AllowClassMismatch = true, // a 5-class head on 3 named classes
        };
        var bi = PruneMethods.Get("bi");
        PruneResult Run(string name, int seed, int? n, int? k) => PruneRunner.Run(new PruneOptions(model, flat, bi,
            bi.ReadOptions(new JsonObject { ["keep_blocks"] = 2 }, "test"), "all",
            Path.Combine(dir, name + ".sls.json"), seed)
        { Calibration = n, CalibrationPerClass = k });
        var a = Run("a", 7, 31, null);
        var b = Run("b", 7, 31, null);
        var c = Run("c", 8, 31, null);
        var perClass = Run("k", 7, null, 4);
        Assert.Equal(31, a.Index.Calibration.Samples);
        Assert.Equal("31 stratified, seed 7", a.Index.Calibration.Sampled);
        Assert.Equal("a.calibration.txt", a.Index.Calibration.List);
        var lines = File.ReadAllLines(a.CalibrationList!);
        Assert.Equal(File.ReadAllBytes(a.CalibrationList!), File.ReadAllBytes(b.CalibrationList!));
        Assert.NotEqual(File.ReadAllBytes(a.CalibrationList!), File.ReadAllBytes(c.CalibrationList!));
        var counts = lines.GroupBy(l => l[(l.LastIndexOf(' ') + 1)..]).Select(g => g.Count()).Order().ToArray();
        Assert.Equal([10, 10, 11], counts); // 31 over three classes of 20: within one of 10.33
        Assert.All(lines, l => Assert.True(File.Exists(Path.Combine(flat, l[..l.LastIndexOf(' ')]))));
        Assert.Equal(12, File.ReadAllLines(perClass.CalibrationList!).Length);
        Assert.Equal(a.Index.Section!.Curve(a.Index)!.Scores, b.Index.Section!.Curve(b.Index)!.Scores);
    }

    [Fact]
    public void Every_layout_is_registered()
    {
        var types = typeof(IDataLayout).Assembly.GetTypes().Where(t => typeof(IDataLayout).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
            .ToHashSet();
        Assert.Equal(types, DataLayouts.All.Select(l => l.GetType()).ToHashSet());
    }

    [Fact]
    public void Largest_remainder_allocation_is_within_one_image_of_the_exact_share()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            var sizes = Enumerable.Range(0, rng.Next(1, 12)).Select(_ => rng.Next(0, 40)).ToArray();
            int all = sizes.Sum();
            int total = rng.Next(0, all + 1);
            var counts = Stratified.Allocate(sizes, total);
            Assert.Equal(total, counts.Sum());
            for (int c = 0; c < sizes.Length; c++)
            {
                Assert.InRange(counts[c], 0, sizes[c]);
                if (all > 0) Assert.True(Math.Abs(counts[c] - (double)total * sizes[c] / all) < 1,
                    $"class {c}: {counts[c]} vs {(double)total * sizes[c] / all}");
            }
        }
    }

    [Fact]
    public void Csv_fields_may_be_quoted_and_tsv_is_tab_separated()
    {
        Assert.Equal(["a, b", "x\"y", " z "], CsvLayout.Split("\"a, b\",\"x\"\"y\",\" z \"", ',', "f"));
        Assert.Equal(["p q", "1"], CsvLayout.Split("p q\t1", '\t', "f"));
        var e = Assert.Throws<SlsInputException>(() => CsvLayout.Split("\"open", ',', "f.csv:2"));
        Assert.Equal("f.csv:2: unterminated quoted field", e.Message);
    }

    [Fact]
    public void Integer_csv_labels_are_kept_and_a_class_missing_from_a_split_is_said()
    {
        string dir = Directory.CreateTempSubdirectory("sls-csv-int-").FullName;
        var png = PngEncoder.Encode(2, 2, 3, new byte[12]);
        foreach (var f in new[] { "a.png", "b.png", "c.png" }) File.WriteAllBytes(Path.Combine(dir, f), png);
        File.WriteAllText(Path.Combine(dir, "l.tsv"), "path\tlabel\tsplit\na.png\t4\ttrain\nb.png\t2\ttrain\nc.png\t2\ttest\n");
        var s = DataLayouts.Open(Path.Combine(dir, "l.tsv"));
        Assert.Null(s.ClassNames);
        Assert.Equal([4, 2], s.Read("train").Select(i => i.Label));

        var tree = Path.Combine(dir, "tree");
        foreach (var (split, cls) in new[] { ("train", "x"), ("train", "y"), ("val", "x") })
        {
            Directory.CreateDirectory(Path.Combine(tree, split, cls));
            File.WriteAllBytes(Path.Combine(tree, split, cls, "i.png"), png);
        }
        var said = new List<string>();
        var t = DataLayouts.Open(tree, new DataOptions(Report: said.Add));
        Assert.Equal(["x", "y"], t.ClassNames);
        Assert.Contains("split 'val' has no images of class 'y'; classes are numbered over all splits (2)", said);
    }
}
