using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>Issue 31 §4: a data source with one split (a flat ImageFolder tree, a CSV without a split column) is
/// used by prune, eval and train without --split, said on stderr; a folder of images without class folders is
/// named as such; eval's human output names classes.</summary>
public class OneSplitDataTests
{
    private static string[] Vit => ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--heads", "3", "--device", "cpu"];

    private static readonly string[] Names = ["bird", "cat", "dog"];

    /// <summary>A flat tree ROOT/{bird,cat,dog}/*.png and, beside it, a CSV without a split column listing the same images.</summary>
    private static (string Tree, string Csv) Flat()
    {
        string vtab = PruneEvalCommandTests.Task(4, 3);
        string tree = Path.Combine(vtab, "tree");
        var csv = new List<string> { "path,label" };
        foreach (var line in File.ReadAllLines(Path.Combine(vtab, "test.txt")))
        {
            var (rel, label) = (line[..line.LastIndexOf(' ')], line[(line.LastIndexOf(' ') + 1)..]);
            string cls = Names[int.Parse(label, System.Globalization.CultureInfo.InvariantCulture)];
            Directory.CreateDirectory(Path.Combine(tree, cls));
            File.Copy(Path.Combine(vtab, rel), Path.Combine(tree, cls, Path.GetFileName(rel)));
            csv.Add($"tree/{cls}/{Path.GetFileName(rel)},{cls}");
        }
        File.WriteAllLines(Path.Combine(vtab, "list.csv"), csv);
        return (tree, Path.Combine(vtab, "list.csv"));
    }

    [Fact]
    public void A_flat_tree_is_trained_pruned_and_evaluated_without_split_and_eval_names_its_classes()
    {
        var (tree, csv) = Flat();
        string dir = Directory.CreateTempSubdirectory("sls-one-split-").FullName;
        string petl = Path.Combine(dir, "head.safetensors");
        var (code, _, err) = CliRunner.Run(["train", .. Vit, "--data", tree, "--petl-method", "linear", "--epochs", "1", "--warmup-epochs", "0",
            "--out", petl]);
        Assert.True(code == 0, err);
        Assert.Contains("sls: data: tree has one split, 'all'; reading it for 'train800val200'", err, StringComparison.Ordinal);
        Assert.Contains("sls: data: tree has one split, 'all'; reading it for 'test'", err, StringComparison.Ordinal);

        string index = Path.Combine(dir, "i.sls.json");
        (code, _, err) = CliRunner.Run(["prune", .. Vit, "--petl", petl, "--data", tree, "--method", "bi", "--keep-blocks", "2", "--out", index]);
        Assert.True(code == 0, err);
        Assert.Equal("all", JsonDocument.Parse(File.ReadAllText(index)).RootElement.GetProperty("calibration").GetProperty("split").GetString());

        (code, var json, err) = CliRunner.Run(["eval", .. Vit, "--petl", petl, "--data", tree, "--json"]);
        Assert.True(code == 0, err);
        var r = JsonDocument.Parse(json).RootElement;
        Assert.Equal("all", r.GetProperty("split").GetString());
        Assert.Equal(12, r.GetProperty("images").GetInt32());

        // the CSV without a split column: the same images, the same answer
        (code, var fromCsv, err) = CliRunner.Run(["eval", .. Vit, "--petl", petl, "--data", csv, "--json"]);
        Assert.True(code == 0, err);
        Assert.Contains("sls: data: list has one split, 'all'; reading it for 'test'", err, StringComparison.Ordinal);
        Assert.Equal(r.GetProperty("correct").GetInt32(), JsonDocument.Parse(fromCsv).RootElement.GetProperty("correct").GetInt32());

        // a split named on purpose that the tree lacks is still refused
        (code, _, err) = CliRunner.Run(["eval", .. Vit, "--petl", petl, "--data", tree, "--split", "val"]);
        Assert.Equal(2, code);
        Assert.Contains("has no split 'val'; its splits: all", err.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_of_images_without_class_folders_is_named_as_such()
    {
        var (tree, _) = Flat();
        string flat = Directory.CreateTempSubdirectory("sls-images-only-").FullName;
        foreach (var f in Directory.GetFiles(Path.Combine(tree, "cat"))) File.Copy(f, Path.Combine(flat, Path.GetFileName(f)));
        foreach (var cmd in new[] { "eval", "prune" })
        {
            string[] args = cmd == "eval" ? [cmd, .. Vit, "--data", flat] : [cmd, .. Vit, "--data", flat, "--out", flat + ".sls.json"];
            var (code, stdout, err) = CliRunner.Run(args);
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.Equal($"sls: {flat}: holds images but no class folders or split lists; sls reads VTAB-1k task folders, ImageFolder trees "
                + $"(ROOT/CLASS/image) and CSV files",
                err.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        }
        // a VTAB folder missing its lists (no images of its own) still names the missing list
        string empty = Directory.CreateTempSubdirectory("sls-no-lists-").FullName;
        var (c2, _, e2) = CliRunner.Run(["eval", .. Vit, "--data", empty]);
        Assert.Equal(2, c2);
        Assert.DoesNotContain("holds images", e2, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_names_classes_in_its_per_class_table_and_weakest_class()
    {
        var (tree, _) = Flat();
        string petl = Path.Combine(Directory.CreateTempSubdirectory("sls-names-").FullName, "head.safetensors");
        var (code, _, err) = CliRunner.Run(["train", .. Vit, "--data", tree, "--petl-method", "linear", "--epochs", "1", "--warmup-epochs", "0",
            "--out", petl]);
        Assert.True(code == 0, err);
        (code, var json, err) = CliRunner.Run(["eval", .. Vit, "--petl", petl, "--data", tree, "--json"]);
        Assert.True(code == 0, err);
        var perClass = JsonDocument.Parse(json).RootElement.GetProperty("per_class").EnumerateArray().ToArray();
        var worst = perClass.Where(c => c.GetProperty("images").GetInt32() > 0).OrderBy(c => c.GetProperty("top1").GetDouble()).ThenBy(c =>
            c.GetProperty("class").GetInt32()).First();
        string worstName = Names[worst.GetProperty("class").GetInt32()];

        (code, var human, err) = CliRunner.Run(["eval", .. Vit, "--petl", petl, "--data", tree]);
        Assert.True(code == 0, err);
        var lines = human.Split('\n');
        var weakest = Assert.Single(lines, l => l.Contains("weakest class", StringComparison.Ordinal));
        Assert.Contains($" {worstName}: ", weakest, StringComparison.Ordinal);
        // one row per class, by name, with its own count of correct images
        foreach (var c in perClass)
        {
            string name = Names[c.GetProperty("class").GetInt32()];
            var row = Assert.Single(lines, l => l.TrimStart().StartsWith(name + " ", StringComparison.Ordinal));
            Assert.Contains($"({c.GetProperty("correct").GetInt32()}/4)", row, StringComparison.Ordinal);
        }

        // the figures name the classes on their axes too
        string plots = Path.Combine(Path.GetDirectoryName(petl)!, "plots");
        (code, _, err) = CliRunner.Run(["eval", .. Vit, "--petl", petl, "--data", tree, "--plots", plots]);
        Assert.True(code == 0, err);
        foreach (var figure in new[] { "per_class.svg", "confusion.svg" })
        {
            string svg = File.ReadAllText(Path.Combine(plots, figure));
            Assert.All(Names, n => Assert.Contains(System.Net.WebUtility.HtmlEncode(n), svg, StringComparison.Ordinal));
        }
    }
}
