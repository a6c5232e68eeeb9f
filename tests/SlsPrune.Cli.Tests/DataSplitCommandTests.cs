using System.Diagnostics;
using System.Text.Json;
using SlsPrune.Core.Data.Images;

namespace SlsPrune.Cli.Tests;

/// <summary><c>sls data split</c> (deterministic, stratified, disjoint) and the refusals of users' own data, each one
/// line naming the file, exit code 2.</summary>
public class DataSplitCommandTests
{
    private static readonly byte[] Png = PngEncoder.Encode(2, 2, 3, new byte[12]);

    /// <summary>An ImageFolder tree ROOT/CLASS/*.png with the given class sizes.</summary>
    private static string Tree(params (string Class, int Images)[] classes)
    {
        string root = Directory.CreateTempSubdirectory("sls-split-tree-").FullName;
        foreach (var (c, n) in classes)
        {
            Directory.CreateDirectory(Path.Combine(root, c));
            for (int i = 0; i < n; i++) File.WriteAllBytes(Path.Combine(root, c, $"img {i:D3}.png"), Png);
        }
        return root;
    }

    private static string Out() => Path.Combine(Directory.CreateTempSubdirectory("sls-split-out-").FullName, "task");

    private static string OneLine(string err) => Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries),
        l => !l.StartsWith("sls: data: ", StringComparison.Ordinal));

    [Fact]
    public void Split_is_stratified_disjoint_and_byte_identical_for_a_seed()
    {
        string tree = Tree(("ant", 7), ("bée", 13), ("cat 猫", 20));
        string a = Out(), b = Out(), c = Out();
        var (code, output, err) = CliRunner.Run("data", "split", tree, "--out", a, "--train", "20", "--val", "8", "--seed", "4", "--json");
        Assert.True(code == 0, err);
        Assert.Equal(0, CliRunner.Run("data", "split", tree, "--out", b, "--train", "20", "--val", "8", "--seed", "4").Code);
        Assert.Equal(0, CliRunner.Run("data", "split", tree, "--out", c, "--train", "20", "--val", "8", "--seed", "5").Code);
        foreach (var list in new[] { "train800", "val200", "train800val200", "test" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, list + ".txt")), File.ReadAllBytes(Path.Combine(b, list + ".txt")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "task.json")), File.ReadAllBytes(Path.Combine(b, "task.json")));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "train800.txt")), File.ReadAllBytes(Path.Combine(c, "train800.txt")));

        string[] Lines(string list) => File.ReadAllLines(Path.Combine(a, list + ".txt"));
        var train = Lines("train800");
        var val = Lines("val200");
        var test = Lines("test");
        Assert.Equal((20, 8, 12), (train.Length, val.Length, test.Length));
        Assert.Equal(train.Concat(val), Lines("train800val200"));
        var all = train.Concat(val).Concat(test).ToArray();
        Assert.Equal(40, all.Distinct().Count()); // no file in two splits, every file once
        int[] sizes = [7, 13, 20];
        foreach (var (lines, n) in new[] { (train, 20), (val, 8), (test, 12) })
            for (int cl = 0; cl < 3; cl++)
            {
                int got = lines.Count(l => l.EndsWith($" {cl}", StringComparison.Ordinal));
                Assert.True(Math.Abs(got - n * sizes[cl] / 40.0) < 1, $"class {cl}: {got} of {n}, exact {n * sizes[cl] / 40.0}");
            }

        var r = JsonDocument.Parse(output).RootElement;
        Assert.Equal(["ant", "bée", "cat 猫"], r.GetProperty("classes").EnumerateArray().Select(x => x.GetProperty("name").GetString()));
        var task = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "task.json"))).RootElement;
        Assert.Equal(["ant", "bée", "cat 猫"], task.GetProperty("classes").EnumerateArray().Select(x => x.GetString()));

        // links by default, read back as a VTAB-1k folder whose class names travel from task.json
        string first = Path.Combine(a, train[0][..train[0].LastIndexOf(' ')]);
        Assert.NotNull(new FileInfo(first).LinkTarget);
        var source = Core.Data.DataLayouts.Open(a);
        Assert.Equal("vtab", source.Layout);
        Assert.Equal(["ant", "bée", "cat 猫"], source.ClassNames);
        Assert.Equal(28, source.Read("train800val200", 3).Count);

        string copied = Out();
        Assert.Equal(0, CliRunner.Run("data", "split", tree, "--out", copied, "--train", "20", "--val", "8", "--test", "5", "--copy").Code);
        string line = File.ReadAllLines(Path.Combine(copied, "train800.txt"))[0];
        Assert.Null(new FileInfo(Path.Combine(copied, line[..line.LastIndexOf(' ')])).LinkTarget);
        Assert.Equal(5, File.ReadAllLines(Path.Combine(copied, "test.txt")).Length);
    }

    [Fact]
    public void Split_reads_a_csv_with_named_columns()
    {
        string dir = Directory.CreateTempSubdirectory("sls-split-csv-").FullName;
        var rows = new List<string> { "image;x,kind" };
        for (int i = 0; i < 12; i++)
        {
            File.WriteAllBytes(Path.Combine(dir, $"p{i}.png"), Png);
            rows.Add($"p{i}.png,{(i % 3 == 0 ? "\"dog, big\"" : "cat")}");
        }
        File.WriteAllLines(Path.Combine(dir, "all.csv"), rows);
        string o = Out();
        var (code, _, err) = CliRunner.Run("data", "split", Path.Combine(dir, "all.csv"), "--path-column", "image;x", "--label-column", "kind",
            "--out", o, "--train", "6", "--val", "3");
        Assert.True(code == 0, err);
        Assert.Equal(["cat", "dog, big"], JsonDocument.Parse(File.ReadAllText(Path.Combine(o, "task.json"))).RootElement.GetProperty("classes")
            .EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(o, "train800.txt")).Count(l => l.EndsWith(" 1", StringComparison.Ordinal))); // 6 x 4/12
        Assert.Contains("sls: data: ", err, StringComparison.Ordinal);
        Assert.Contains("CSV/TSV file", err, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_class_folder_is_refused()
    {
        string tree = Tree(("a", 2), ("b", 2));
        Directory.CreateDirectory(Path.Combine(tree, "empty"));
        var (code, _, err) = CliRunner.Run("data", "split", tree, "--out", Out(), "--train", "1", "--val", "1");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {tree}/empty: class folder is empty", OneLine(err));
    }

    [Fact]
    public void A_non_image_file_is_refused_by_name()
    {
        string tree = Tree(("a", 2), ("b", 2));
        File.WriteAllText(Path.Combine(tree, "b", "notes.txt"), "hello");
        var (code, _, err) = CliRunner.Run("data", "split", tree, "--out", Out(), "--train", "1", "--val", "1");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {tree}/b/notes.txt: not an image (PNG, JPEG, BMP or GIF)", OneLine(err));
    }

    [Fact]
    public void An_unreadable_file_is_refused_by_name_without_blocking()
    {
        string tree = Tree(("a", 2), ("b", 2));
        Process.Start("mkfifo", Path.Combine(tree, "a", "pipe.png"))!.WaitForExit();
        var (code, _, err) = CliRunner.Run("data", "split", tree, "--out", Out(), "--train", "1", "--val", "1");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {tree}/a/pipe.png: not a regular file (a FIFO, device or folder)", OneLine(err));
    }

    [Fact]
    public void A_class_in_test_unknown_to_train_is_refused()
    {
        string root = Directory.CreateTempSubdirectory("sls-split-unknown-").FullName;
        foreach (var (split, cls) in new[] { ("train", "a"), ("train", "b"), ("test", "a"), ("test", "zebra") })
        {
            Directory.CreateDirectory(Path.Combine(root, split, cls));
            File.WriteAllBytes(Path.Combine(root, split, cls, "x.png"), Png);
        }
        var (code, _, err) = CliRunner.Run("data", "split", root, "--out", Out(), "--train", "1", "--val", "1");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {root}/test: class 'zebra' ({root}/test/zebra/x.png) is not in the train split", OneLine(err));
    }

    [Fact]
    public void A_csv_without_the_named_columns_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory("sls-split-cols-").FullName;
        File.WriteAllBytes(Path.Combine(dir, "a.png"), Png);
        string csv = Path.Combine(dir, "l.csv");
        File.WriteAllText(csv, "file,label\na.png,x\n");
        var (code, _, err) = CliRunner.Run("data", "split", csv, "--out", Out(), "--train", "1", "--val", "0");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {csv}: has no 'path' column (its columns: file, label); name it with --path-column", OneLine(err));
        var (code2, _, err2) = CliRunner.Run("data", "split", csv, "--path-column", "file", "--label-column", "class", "--out", Out(), "--train", "1",
            "--val", "0");
        Assert.Equal(2, code2);
        Assert.Equal($"sls: {csv}: has no 'class' column (its columns: file, label); name it with --label-column", OneLine(err2));
    }

    [Fact]
    public void A_file_in_two_splits_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory("sls-split-dup-").FullName;
        foreach (var f in new[] { "a.png", "b.png" }) File.WriteAllBytes(Path.Combine(dir, f), Png);
        string csv = Path.Combine(dir, "l.csv");
        File.WriteAllText(csv, "path,label,split\na.png,x,train\nb.png,y,train\n./a.png,x,test\n");
        var (code, _, err) = CliRunner.Run("data", "split", csv, "--out", Out(), "--train", "1", "--val", "1");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {dir}/a.png: is listed twice (in split 'train' and in split 'test'); a file may be in one split only", OneLine(err));
    }

    [Fact]
    public void More_classes_than_the_head_is_refused()
    {
        // the fixture PETL head has 5 classes
        string tree = Tree(("c0", 1), ("c1", 1), ("c2", 1), ("c3", 1), ("c4", 1), ("c5", 1));
        var (code, _, err) = CliRunner.Run(["eval", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl",
            CliRunner.Fixture("convpass.pt"), "--petl-scale", "0.7",
            "--heads", "3", "--device", "cpu", "--data", tree, "--split", "all"]);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {tree}: 6 classes but the head has 5", Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            l => !l.StartsWith("sls: eval:", StringComparison.Ordinal) && !l.StartsWith("sls: data:", StringComparison.Ordinal)));
        Assert.Contains($"sls: data: {tree}: ImageFolder tree", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Prune_on_a_tree_says_the_layout_and_lists_the_sample_it_drew()
    {
        string vtab = PruneEvalCommandTests.Task(8, 3);
        string tree = Path.Combine(vtab, "tree");
        for (int c = 0; c < 3; c++) Directory.CreateDirectory(Path.Combine(tree, $"class {c} é"));
        foreach (var line in File.ReadAllLines(Path.Combine(vtab, "test.txt")))
        {
            var (rel, label) = (line[..line.LastIndexOf(' ')], line[(line.LastIndexOf(' ') + 1)..]);
            File.Copy(Path.Combine(vtab, rel), Path.Combine(tree, $"class {label} é", Path.GetFileName(rel)));
        }
        string index = Path.Combine(Directory.CreateTempSubdirectory("sls-prune-tree-").FullName, "t.sls.json");
        var (code, output, err) = CliRunner.Run(["prune", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl",
            CliRunner.Fixture("convpass.pt"), "--petl-scale", "0.7",
            "--heads", "3", "--device", "cpu", "--data", tree, "--split", "all", "--calibration-per-class", "5", "--method", "bi", "--keep-blocks",
                "2", "--out", index,
            "--allow-class-mismatch"]);
        Assert.True(code == 0, err);
        Assert.Contains($"sls: data: {tree}: ImageFolder tree", err, StringComparison.Ordinal);
        Assert.Contains("sls: data: calibration: 15 images of split 'all' (5 per class, seed 0)", err, StringComparison.Ordinal);
        var cal = JsonDocument.Parse(File.ReadAllText(index)).RootElement.GetProperty("calibration");
        Assert.Equal("t.calibration.txt", cal.GetProperty("list").GetString());
        Assert.Equal(15, File.ReadAllLines(Path.Combine(Path.GetDirectoryName(index)!, "t.calibration.txt")).Length);
        Assert.Equal(["class 0 é", "class 1 é", "class 2 é"], JsonDocument.Parse(File.ReadAllText(index)).RootElement.GetProperty("class_names")
            .EnumerateArray().Select(x => x.GetString()));
        Assert.Contains("Images used:", output, StringComparison.Ordinal);
        Assert.Contains("class 0 é", output, StringComparison.Ordinal);
    }
}
