using SlsPrune.Core.IO;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// Rule one at the places a hostile audit found open: each run below changed a user's file at exit 0 before (the index
/// <c>sls train --index</c> re-issues written over the index it read; a CSV task's image and a linked split list
/// overwritten by an output; a new <c>model.safetensors</c> in a Hugging Face folder that read <c>pytorch_model.bin</c>;
/// a report over its manifest or into the results it reads; the index under a figure's name in the figures folder).
/// Each is now refused with its one line, and every byte of the workspace is the same after.
/// </summary>
public class OutputPlaceTests
{
    private static readonly string Backbone = ShippedModel.Backbone, Petl = ShippedModel.Petl, Task = ShippedModel.Task;

    private static string Snapshot(string dir) => string.Join("\n", Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order()
        .Select(f => $"{Path.GetRelativePath(dir, f)} {FileHash.Sha256(f)}"));

    /// <summary>Runs <paramref name="args"/>: exit 2, the last stderr line <paramref name="line"/>, nothing on stdout, and
    /// <paramref name="dir"/> byte for byte as it was.</summary>
    private static void Refused(string dir, string line, params string[] args)
    {
        string before = Snapshot(dir);
        var (code, stdout, err) = CliRunner.Run(args);
        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Equal(line, err.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal("", stdout);
        Assert.Equal(before, Snapshot(dir));
    }

    [Fact]
    public void Retraining_never_reissues_its_index_over_the_index_it_reads()
    {
        string dir = Directory.CreateTempSubdirectory("sls-places-").FullName;
        string index = Path.Combine(dir, "pruned.sls.json");
        var pruned = CliRunner.Run("prune", "--backbone", Backbone, "--petl", Petl, "--data", Task, "--out", index, "--calibration", "200",
            "--device", "cpu");
        Assert.True(pruned.Code == 0, pruned.Err);
        foreach (string petlOut in new[] { "pruned.safetensors", "pruned", "pruned.sls" })
            Refused(dir, $"sls: {index}: is one of this run's inputs; --out (the index re-issued beside it) would replace it (choose another path)",
                "train", "--backbone", Backbone, "--data", Task, "--index", index, "--init-from", Petl, "--petl-method", "convpass", "--epochs", "1",
                "--out", Path.Combine(dir, petlOut));
    }

    [Fact]
    public void An_image_of_a_csv_task_and_a_linked_split_list_are_never_replaced()
    {
        string dir = Directory.CreateTempSubdirectory("sls-places-").FullName;
        string images = Directory.CreateDirectory(Path.Combine(dir, "imgs")).FullName;
        var lines = File.ReadLines(Path.Combine(Task, "train800val200.txt")).Take(40).ToList();
        var rows = new List<string> { "path,label" };
        foreach (var l in lines)
        {
            var parts = l.Split(' ');
            string name = Path.GetFileName(parts[0]);
            File.Copy(Path.Combine(Task, parts[0]), Path.Combine(images, name));
            rows.Add($"imgs/{name},{parts[1]}");
        }
        string csv = Path.Combine(dir, "d.csv");
        File.WriteAllLines(csv, rows);
        string image = Path.Combine(images, Path.GetFileName(lines[3].Split(' ')[0]));
        Refused(dir, $"sls: {image}: is one of the files of the data this run reads (a list or an image); --out would replace it (choose another "
            + "path)", "train", "--backbone", Backbone, "--data", csv, "--split", "all", "--eval-split", "all", "--petl-method", "linear",
            "--epochs", "1", "--out", image);

        // a task folder whose list is a link to a list kept elsewhere
        string lists = Directory.CreateDirectory(Path.Combine(dir, "lists")).FullName, task = Directory.CreateDirectory(Path.Combine(dir, "task"))
            .FullName;
        File.WriteAllLines(Path.Combine(lists, "train800val200.txt"), lines.Select(l => "../imgs/" + Path.GetFileName(l.Split(' ')[0]) + " "
            + l.Split(' ')[1]));
        File.CreateSymbolicLink(Path.Combine(task, "train800val200.txt"), Path.Combine(lists, "train800val200.txt"));
        string list = Path.Combine(lists, "train800val200.txt");
        Refused(dir, $"sls: {list}: is one of the files of the data this run reads (a list or an image); --out would replace it (choose another "
            + "path)", "prune", "--backbone", Backbone, "--petl", Petl, "--data", task, "--out", list, "--allow-class-mismatch", "--device", "cpu");
    }

    [Fact]
    public void No_new_file_goes_into_a_model_folder_the_run_reads()
    {
        string dir = Directory.CreateTempSubdirectory("sls-places-").FullName;
        string hf = Directory.CreateDirectory(Path.Combine(dir, "hf")).FullName;
        foreach (var f in Directory.GetFiles(CliRunner.Layout("hf_vit"))) File.Copy(f, Path.Combine(hf, Path.GetFileName(f)));
        string added = Path.Combine(hf, "pytorch_model.safetensors");
        Refused(dir, $"sls: {added}: is inside the model folder {hf}, whose loader chooses among the files it finds (a new weights or config file "
            + "changes the model); --out must write outside it (choose another path)", "export", "--backbone", hf, "--format", "safetensors",
            "--out", added);
        // the same when a weights file is given from the folder: the folder's other files are read with it (a second audit)
        Refused(dir, $"sls: {added}: is inside the model folder {hf}, whose loader chooses among the files it finds (a new weights or config file "
            + "changes the model); --out must write outside it (choose another path)", "export", "--backbone", Path.Combine(hf,
            "model.safetensors"), "--format", "safetensors", "--out", added);
    }

    [Fact]
    public void A_report_never_writes_its_manifest_nor_into_the_results_it_reads()
    {
        string dir = Directory.CreateTempSubdirectory("sls-places-").FullName;
        string results = Directory.CreateDirectory(Path.Combine(dir, "R", "results")).FullName;
        string manifest = Path.Combine(dir, "m.json");
        File.WriteAllText(manifest, "{}");
        string folder = Path.Combine(dir, "R");
        Refused(dir, $"sls: {manifest}: is one of this run's inputs; --out would replace it (choose another path)", "report", folder, "--manifest",
            manifest, "--out", manifest);
        string inside = Path.Combine(results, "zz.json");
        Refused(dir, $"sls: {inside}: is inside the results folder's results/, all of whose files are read; --out must write outside it (choose "
            + "another path)", "report", folder, "--format", "json", "--out", inside);
        string twice = Path.Combine(dir, "r.md");
        Refused(dir, $"sls: {twice}: is named by both --out and --summary-md; each output needs its own path", "report", folder, "--out", twice,
            "--summary-md", twice);
    }

    [Fact]
    public void A_new_list_in_a_task_folder_is_refused_and_an_index_there_is_not()
    {
        string dir = Directory.CreateTempSubdirectory("sls-places-").FullName, task = Path.Combine(dir, "task");
        Directory.CreateDirectory(Path.Combine(task, "images"));
        foreach (var f in Directory.GetFiles(Task)) File.Copy(f, Path.Combine(task, Path.GetFileName(f)));
        foreach (var f in Directory.GetFiles(Path.Combine(Task, "images"))) File.Copy(f, Path.Combine(task, "images", Path.GetFileName(f)));
        string index = Path.Combine(task, "index.sls.json"), list = Path.Combine(task, "index.calibration.txt");
        // sampling writes the list of the images used beside the index: in a VTAB-1k folder it would be read as a split
        Refused(dir, $"sls: {list}: is a new list in the task folder {task}, which would read it as a split; --out must write elsewhere (choose "
            + "another path)", "prune", "--backbone", Backbone, "--petl", Petl, "--data", task, "--out", index, "--calibration", "100");
        // without sampling the split's own list says which images: no list is written, and the index may go there
        var (code, _, err) = CliRunner.Run("prune", "--backbone", Backbone, "--petl", Petl, "--data", task, "--out", index, "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.False(File.Exists(list));
    }

    [Fact]
    public void An_output_under_a_figures_name_in_the_figures_folder_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory("sls-places-").FullName;
        string plots = Path.Combine(dir, "P"), index = Path.Combine(plots, "scores.png");
        Refused(dir, $"sls: {index}: lies in the --plots folder, whose figures are PNG and SVG files; --out would take a figure's place (choose "
            + "another name or folder)", "prune", "--backbone", Backbone, "--petl", Petl, "--data", Task, "--plots", plots, "--out", index);
    }
}

/// <summary>A results folder is for one backbone: a second batch on another backbone into it replaced one task's result
/// and left the others, and the report averaged two models as one at exit 0 (found by a hostile audit).</summary>
public class OneBackbonePerFolderTests
{
    [Fact]
    public void A_batch_on_another_backbone_into_a_results_folder_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory("sls-one-backbone-").FullName;
        string root = ShippedModelTests.RepoRoot();
        string backbone = Path.Combine(root, "models", "fmnist-vit8", "backbone.safetensors");
        string task = Path.Combine(root, "models", "fmnist-vit8", "calibration", "structured-location");
        string petl = Path.Combine(root, "models", "fmnist-vit8", "structured-location.convpass.safetensors");
        string Manifest(string name, string bb)
        {
            string path = Path.Combine(dir, name);
            File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new
            {
                backbone = bb,
                defaults = new { stages = new[] { "prune" }, device = "cpu", calibration = 100 },
                tasks = new[] { new { name = "loc", data = task, petl } },
            }));
            return path;
        }
        string results = Path.Combine(dir, "R");
        var first = CliRunner.Run("batch", "--manifest", Manifest("a.json", backbone), "--out", results);
        Assert.True(first.Code == 0, first.Err);
        string result = Path.Combine(results, "results", "loc.json"), before = FileHash.Sha256(result);

        string other = Path.Combine(dir, "other.safetensors");
        File.Copy(CliRunner.Fixture("backbone.safetensors"), other);
        string b = Manifest("b.json", other);
        var (code, _, err) = CliRunner.Run("batch", "--manifest", b, "--out", results);
        string a = Path.Combine(dir, "a.json");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {results}: holds the results of {a} on another backbone ({backbone}, SHA-256 {FileHash.Sha256(backbone)[..12]}...), "
            + $"not {other} ({FileHash.Sha256(other)[..12]}...): a results folder is for one backbone (choose another --out)",
            err.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal(before, FileHash.Sha256(result));
        // the same backbone again is the same folder's work
        Assert.Equal(0, CliRunner.Run("batch", "--manifest", Path.Combine(dir, "a.json"), "--out", results, "--resume").Code);
    }
}

/// <summary>Ways around the checks above that a second hostile audit found: a link in place of a results folder's own
/// subfolder (a task's result written over the manifest), a batch log that is a CSV task's image, figures written over a
/// CSV task's images, the temporary-file sweep deleting an input named like a temporary file, and a --heads a Swin ignored
/// (a new file beside a weights file given from a Hugging Face folder is in the model-folder test above).</summary>
public class OutputPlaceBypassTests
{
    private static readonly string Backbone = ShippedModel.Backbone, Petl = ShippedModel.Petl;

    private static void Refused(string line, params string[] args)
    {
        var (code, stdout, err) = CliRunner.Run(args);
        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Equal(line, CliRunner.LastLine(err));
        Assert.Equal("", stdout);
    }

    /// <summary>A CSV task whose images lie in <c>imgs/</c> beside it.</summary>
    private static (string Csv, string[] Images) CsvTask(string dir)
    {
        string images = Directory.CreateDirectory(Path.Combine(dir, "imgs")).FullName;
        var rows = new List<string> { "path,label" };
        var names = new List<string>();
        foreach (var l in File.ReadLines(Path.Combine(ShippedModel.Task, "train800val200.txt")).Take(40))
        {
            var parts = l.Split(' ');
            string name = Path.Combine(images, Path.GetFileName(parts[0]));
            File.Copy(Path.Combine(ShippedModel.Task, parts[0]), name);
            rows.Add($"imgs/{Path.GetFileName(name)},{parts[1]}");
            names.Add(name);
        }
        string csv = Path.Combine(dir, "d.csv");
        File.WriteAllLines(csv, rows);
        return (csv, [.. names]);
    }

    [Fact]
    public void A_batch_never_writes_through_a_link_in_its_folder_nor_logs_into_a_tasks_image()
    {
        string dir = Directory.CreateTempSubdirectory("sls-bypass-").FullName;
        var (csv, images) = CsvTask(dir);
        string manifest = Path.Combine(dir, "m.json");
        File.WriteAllText(manifest, System.Text.Json.JsonSerializer.Serialize(new
        {
            backbone = Backbone,
            defaults = new { stages = new[] { "eval" }, device = "cpu", eval_split = "all" },
            tasks = new[] { new { name = "a", data = csv, petl = Petl } },
        }));
        string image = images[5], before = FileHash.Sha256(image);
        Refused($"sls: {image}: is one of the files of the data this run reads (a list or an image); --log-file would replace it (choose another "
            + "path)", "batch", "--manifest", manifest, "--out", Path.Combine(dir, "R"), "--log-file", image);
        Assert.Equal(before, FileHash.Sha256(image));

        string results = Directory.CreateDirectory(Path.Combine(dir, "R2")).FullName, cfg = Directory.CreateDirectory(Path.Combine(dir, "cfg"))
            .FullName;
        File.CreateSymbolicLink(Path.Combine(results, "results"), cfg);
        Refused($"sls: {Path.Combine(results, "results")}: is a symbolic link; sls batch writes into its results folder's own subfolders, never "
            + "through a link (remove it, or choose another --out)", "batch", "--manifest", manifest, "--out", results);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cfg));
    }

    [Fact]
    public void Figures_never_replace_an_image_a_csv_task_names()
    {
        string dir = Directory.CreateTempSubdirectory("sls-bypass-").FullName;
        var (csv, images) = CsvTask(dir);
        string figures = Path.Combine(dir, "imgs"), scores = Path.Combine(figures, "scores.png");
        File.Move(images[0], scores);
        File.WriteAllLines(csv, File.ReadAllLines(csv).Select(l => l.Replace($"imgs/{Path.GetFileName(images[0])}", "imgs/scores.png",
            StringComparison.Ordinal)));
        string before = FileHash.Sha256(scores);
        // (the folder's other images, which no figure is named after, are left as they are)
        Refused($"sls: {scores}: is one of the files of the data this run reads (a list or an image); --plots would replace it (choose another "
            + "path)", "prune", "--backbone", Backbone, "--petl", Petl, "--data", csv, "--split", "all", "--plots", figures, "--out",
            Path.Combine(dir, "i.sls.json"), "--calibration", "40", "--perplexity", "5", "--device", "cpu");
        Assert.Equal(before, FileHash.Sha256(scores));
    }

    [Fact]
    public void The_temporary_file_sweep_never_removes_an_input_of_the_run()
    {
        string dir = Directory.CreateTempSubdirectory("sls-bypass-").FullName;
        // named exactly as a temporary file of idx.sls.json left by a process of this host that is gone
        string backbone = Path.Combine(dir, $".idx.sls.json.{TempName.Host}.999999.{Guid.NewGuid():N}.tmp");
        File.Copy(Backbone, backbone);
        var (code, _, err) = CliRunner.Run("prune", "--backbone", backbone, "--petl", Petl, "--data", ShippedModel.Task, "--out",
            Path.Combine(dir, "idx.sls.json"), "--calibration", "100", "--allow-mismatch", "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.True(File.Exists(backbone), "the backbone the run read was swept as a stale temporary file");
    }

    [Fact]
    public void A_heads_count_a_swin_would_ignore_is_refused()
    {
        string swin = Path.Combine(AppContext.BaseDirectory, "fixtures", "swin", "a.pth");
        var (code, stdout, err) = CliRunner.Run("eval", "--backbone", swin, "--data", ShippedModel.Task, "--split", "train800val200", "--heads",
            "7", "--image-size", "32", "--allow-class-mismatch");
        Assert.Equal((2, ""), (code, stdout));
        Assert.StartsWith($"sls: --heads: 7 contradicts {swin}, whose position tables give its first stage ", CliRunner.LastLine(err),
            StringComparison.Ordinal);
        Assert.EndsWith("; leave --heads out for a Swin", CliRunner.LastLine(err), StringComparison.Ordinal);
    }
}
