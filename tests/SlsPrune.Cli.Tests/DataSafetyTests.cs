using System.Security.Cryptography;
using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// Rule one, never change an input: every command that writes is run with each of its outputs aimed at each of its
/// inputs, at files inside its input folders (a Hugging Face model folder, a PEFT folder, a task folder, a results
/// folder), at special files and at places that cannot be written. Each run must be refused with exit 2 and one line
/// naming the path, before any work, and every byte of the workspace (inputs, their folders, earlier outputs) must be
/// as it was.
/// </summary>
public class DataSafetyTests
{
    /// <summary>A workspace of every input kind, copied from the fixtures: a ViT file and its Convpass file, a Hugging
    /// Face folder with a PEFT folder for it, a VTAB task folder, an ImageFolder tree, a copied and a linked split of
    /// it, a manifest, a results folder with one result.</summary>
    private sealed class Workspace
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("sls-safety-").FullName;

        public string Backbone => P("model/backbone.safetensors");
        public string Petl => P("model/convpass.pt");
        public string Hf => P("hf");
        public string Peft => P("peft");
        public string Task => P("task");
        public string Tree => P("tree");
        public string Copied => P("copied");
        public string Linked => P("linked");
        public string Manifest => P("manifest.json");
        public string Results => P("results");

        public string P(string rel) => Path.Combine(Root, rel);

        public Workspace()
        {
            Directory.CreateDirectory(P("model"));
            File.Copy(CliRunner.Fixture("backbone.safetensors"), Backbone);
            File.Copy(CliRunner.Fixture("convpass.pt"), Petl);
            CopyFolder(CliRunner.Layout("hf_vit"), Hf);
            CopyFolder(Path.Combine(AppContext.BaseDirectory, "fixtures", "peft", "hf_qv"), Peft);
            CopyFolder(PruneEvalCommandTests.Task(3, 2), Task);
            foreach (var c in new[] { "a", "b" })
            {
                Directory.CreateDirectory(Path.Combine(Tree, c));
                for (int i = 0; i < 5; i++)
                    File.Copy(Path.Combine(Task, "images", $"{(c == "a" ? 0 : 1)}_{Math.Min(i, 2)}.png"), Path.Combine(Tree, c, $"{i}.png"));
            }
            Assert.Equal(0, CliRunner.Run("data", "split", Tree, "--out", Copied, "--train", "4", "--val", "2", "--copy").Code);
            Assert.Equal(0, CliRunner.Run("data", "split", Tree, "--out", Linked, "--train", "4", "--val", "2").Code);
            File.WriteAllText(Manifest, JsonSerializer.Serialize(new
            {
                backbone = Backbone,
                defaults = new { stages = new[] { "prune", "eval" }, heads = 3, device = "cpu", petl_scale = 0.7 },
                tasks = new[] { new { name = "t", data = Task, group = "natural", petl = Petl } },
            }));
            Directory.CreateDirectory(Path.Combine(Results, "results"));
            File.WriteAllText(Path.Combine(Results, "results", "t.json"), "{\"task\": \"t\", \"status\": \"ok\"}");
        }

        private static void CopyFolder(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            {
                string dest = Path.Combine(to, Path.GetRelativePath(from, f));
                Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                File.Copy(f, dest);
            }
        }

        /// <summary>Every entry under the root: its path, its kind, a link's target and a file's SHA-256.</summary>
        public SortedDictionary<string, string> Snapshot()
        {
            var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var e in new DirectoryInfo(Root).EnumerateFileSystemInfos("*", new EnumerationOptions
            {
                RecurseSubdirectories = true,
                AttributesToSkip = 0
            }))
            {
                string rel = Path.GetRelativePath(Root, e.FullName);
                all[rel] = e.LinkTarget is { } target ? "link " + target
                    : e is DirectoryInfo ? "folder"
                    : !Core.IO.FileKind.IsRegularFile(e.FullName) ? "special" // a FIFO: never opened
                    : Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(e.FullName)));
            }
            return all;
        }
    }

    /// <summary>Runs <paramref name="args"/>, which must be refused with one line about <paramref name="culprit"/>, and
    /// checks that nothing under the workspace changed.</summary>
    private static void Refused(Workspace w, string culprit, string reason, params string[] args)
    {
        var before = w.Snapshot();
        var (code, stdout, stderr) = CliRunner.Run(args);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}: {stderr}");
        Assert.StartsWith($"sls: {culprit}: ", lines[^1], StringComparison.Ordinal);
        Assert.Contains(reason, lines[^1], StringComparison.Ordinal);
        Assert.Single(lines, l => l.StartsWith("sls: /", StringComparison.Ordinal) || l.StartsWith("sls: error", StringComparison.Ordinal));
        Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
        var after = w.Snapshot();
        Assert.Equal(before, after);
    }

    private static string[] Vit(Workspace w) => ["--backbone", w.Backbone, "--petl", w.Petl, "--petl-scale", "0.7", "--heads", "3", "--device",
        "cpu"];

    private static string[] HfPeft(Workspace w) => ["--backbone", w.Hf, "--petl", w.Peft, "--device", "cpu"];

    /// <summary>Files that no output may replace: every input file and every file inside an input folder.</summary>
    private static IEnumerable<string> Protected(Workspace w, bool hf) =>
        (hf ? Directory.GetFiles(w.Hf).Concat(Directory.GetFiles(w.Peft)) : [w.Backbone, w.Petl])
            .Concat([Path.Combine(w.Task, "train800val200.txt"), Path.Combine(w.Task, "images", "0_0.png")]);

    [Fact]
    public void Prune_outputs_aimed_at_inputs_or_files_in_input_folders_are_refused_and_nothing_changes()
    {
        var w = new Workspace();
        foreach (bool hf in new[] { false, true })
        {
            string[] model = hf ? HfPeft(w) : Vit(w);
            foreach (var target in Protected(w, hf))
            {
                string reason = target == w.Backbone || target == w.Petl ? "is one of this run's inputs" : "is a file inside the input folder";
                Refused(w, target, reason, ["prune", .. model, "--data", w.Task, "--out", target]);
                Refused(w, target, reason, ["prune", .. model, "--data", w.Task, "--out", w.P("new.sls.json"), "--features-out", target]);
            }
        }
        // the SPA method's new PETL file, and the index of a further alpha
        Refused(w, w.Petl, "is one of this run's inputs", ["prune", .. Vit(w), "--data", w.Task, "--method", "spa", "--ratio", "0.5", "--out",
            w.P("i.sls.json"), "--petl-out", w.Petl]);
        File.Copy(Path.Combine(w.Task, "train800val200.txt"), w.P("keep.alpha0.5.sls.json"));
        Refused(w, w.P("keep.alpha0.5.sls.json"), "is named by both", ["prune", .. Vit(w), "--data", w.Task, "--out", w.P("keep.sls.json"), "--alpha",
            "0.3,0.5",
            "--features-out", w.P("keep.alpha0.5.sls.json")]);
        // a plots folder inside the data or model folder
        Refused(w, Path.Combine(w.Task, "images"), "is inside the input folder", ["prune", .. Vit(w), "--data", w.Task, "--plots",
            Path.Combine(w.Task, "images")]);
        Refused(w, Path.Combine(w.Hf, "plots"), "is inside the input folder", ["prune", .. HfPeft(w), "--data", w.Task, "--out", w.P("x.sls.json"),
            "--plots", Path.Combine(w.Hf, "plots")]);
    }

    [Fact]
    public void Outputs_that_are_not_regular_files_or_cannot_be_written_are_refused_in_the_first_second()
    {
        var w = new Workspace();
        string fifo = w.P("fifo");
        using (var mk = System.Diagnostics.Process.Start("mkfifo", fifo)) mk.WaitForExit();
        File.CreateSymbolicLink(w.P("to-fifo"), fifo);
        File.CreateSymbolicLink(w.P("dangling"), w.P("nowhere"));
        File.CreateSymbolicLink(w.P("to-task"), w.Task);
        string[] prune = ["prune", .. Vit(w), "--data", w.Task];
        Refused(w, fifo, "is not a regular file (a FIFO, device or socket)", [.. prune, "--out", fifo]);
        Refused(w, w.P("to-fifo"), "is not a regular file", [.. prune, "--out", w.P("to-fifo")]);
        Refused(w, "/dev/null", "is not a regular file", [.. prune, "--out", "/dev/null"]);
        Refused(w, w.P("dangling"), "is a symbolic link to a missing path", [.. prune, "--out", w.P("dangling")]);
        Refused(w, w.P("to-task"), "is a folder", [.. prune, "--out", w.P("to-task")]);
        Refused(w, "/proc/index.sls.json", "is in a system folder", [.. prune, "--out", "/proc/index.sls.json"]);
        Refused(w, w.Manifest + "/x.sls.json", $"cannot be written: {w.Manifest} is not a folder",
            [.. prune, "--out", w.Manifest + "/x.sls.json"]);
        Refused(w, fifo, "is not a regular file", ["export", .. Vit(w), "--format", "safetensors", "--out", fifo]);
        Refused(w, "/proc/x", "is in a system folder", ["train", "--backbone", w.Backbone, "--heads", "3", "--data", w.Task, "--petl-method",
            "linear", "--out", "/proc/x"]);
        Refused(w, "/proc/plots", "is in a system folder", ["eval", .. Vit(w), "--data", w.Task, "--plots", "/proc/plots"]);
        Refused(w, fifo, "is not a folder", ["batch", "--manifest", w.Manifest, "--out", fifo]);
        Refused(w, "/dev/zero", "is not a regular file", ["report", w.Results, "--out", "/dev/zero"]);
    }

    [Fact]
    public void Outputs_through_system_folders_and_plots_over_an_input_are_refused()
    {
        var w = new Workspace();
        // /dev/stdout with stdout redirected to a file resolves to that regular file; writing it would replace the link
        // (here stdout is a pipe, refused as one; /dev/shm is a writable folder under /dev, refused as a system folder)
        Refused(w, "/dev/stdout", "/dev/stdout: is ", ["prune", .. Vit(w), "--data", w.Task, "--out", "/dev/stdout"]);
        Refused(w, "/dev/shm/sls-safety.sls.json", "is in a system folder", ["prune", .. Vit(w), "--data", w.Task, "--out",
            "/dev/shm/sls-safety.sls.json"]);
        Refused(w, "/dev/shm/sls-safety.onnx", "is in a system folder", ["export", .. Vit(w), "--format", "onnx", "--out",
            "/dev/shm/sls-safety.onnx"]);
        // a plots folder that holds an input by one of the names it writes (scores.svg) would overwrite it
        string plots = w.P("plots");
        Directory.CreateDirectory(plots);
        File.Copy(w.Petl, Path.Combine(plots, "scores.svg"));
        Refused(w, plots, "holds the input", ["prune", "--backbone", w.Backbone, "--petl", Path.Combine(plots, "scores.svg"), "--petl-scale", "0.7",
            "--heads", "3",
            "--device", "cpu", "--data", w.Task, "--out", w.P("i.sls.json"), "--plots", plots]);
    }

    [Fact]
    public void Eval_export_train_report_and_batch_never_write_over_their_inputs()
    {
        var w = new Workspace();
        foreach (var target in new[] { w.Backbone, Path.Combine(w.Task, "train800val200.txt"), Path.Combine(w.Task, "images", "0_0.png") })
            Refused(w, target, target == w.Backbone ? "is one of this run's inputs" : "is a file inside the input folder",
                ["train", "--backbone", w.Backbone, "--heads", "3", "--data", w.Task, "--petl-method", "linear", "--out", target]);
        foreach (var target in new[] { w.Backbone, w.Petl })
            Refused(w, target, "is one of this run's inputs", ["export", .. Vit(w), "--format", "onnx", "--out", target]);
        foreach (var target in Directory.GetFiles(w.Hf).Concat(Directory.GetFiles(w.Peft)))
        {
            string reason = "is a file inside the input folder";
            Refused(w, target, reason, ["export", .. HfPeft(w), "--format", "safetensors", "--out", target]);
        }
        Refused(w, w.Task, "is one of this run's inputs", ["eval", .. Vit(w), "--data", w.Task, "--plots", w.Task]);
        Refused(w, Path.Combine(w.Results, "results", "t.json"), "is a file inside the input folder", ["report", w.Results, "--out",
            Path.Combine(w.Results, "results", "t.json")]);
        Refused(w, w.Task, "is one of this run's inputs", ["batch", "--manifest", w.Manifest, "--out", w.Task]);
        Refused(w, Path.Combine(w.Task, "results"), "is inside the input folder", ["batch", "--manifest", w.Manifest, "--out", Path.Combine(w.Task,
            "results")]);
        Refused(w, Path.Combine(w.Task, "results"), "is inside the input folder", ["batch", "--manifest", w.Manifest, "--out", Path.Combine(w.Task,
            "results"), "--dry-run"]);
    }

    [Fact]
    public void Data_split_never_deletes_moves_or_rewrites_its_source()
    {
        var w = new Workspace();
        string[] sizes = ["--train", "4", "--val", "2"];
        // --out equal to, inside, or containing the source
        Refused(w, w.Tree, "is one of this run's inputs", ["data", "split", w.Tree, "--out", w.Tree, .. sizes]);
        Refused(w, Path.Combine(w.Tree, "a"), "is inside the input folder", ["data", "split", w.Tree, "--out", Path.Combine(w.Tree, "a"), .. sizes]);
        Refused(w, w.Root, "contains the input", ["data", "split", w.Tree, "--out", w.Root, .. sizes]);
        // a re-split of an earlier --copy split's images into that same task folder would delete its own source
        Refused(w, w.Copied, "contains the input", ["data", "split", Path.Combine(w.Copied, "images"), "--out", w.Copied, .. sizes]);
        // sources that are links into another task folder: the images they point to live in --out
        string viaLinks = w.P("via-links");
        foreach (var c in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(viaLinks, c));
            foreach (var f in Directory.GetFiles(Path.Combine(w.Copied, "images", c)))
                File.CreateSymbolicLink(Path.Combine(viaLinks, c, Path.GetFileName(f)), f);
        }
        Refused(w, w.Copied, "holds the source image", ["data", "split", viaLinks, "--out", w.Copied, .. sizes]);
        // a folder that is not an earlier split, or holds more than a split writes, is never replaced
        Refused(w, w.Task, "is not a task folder written by sls data split", ["data", "split", w.Tree, "--out", w.Task, .. sizes]);
        File.WriteAllText(Path.Combine(w.Linked, "notes.txt"), "mine");
        Refused(w, w.Linked, "holds 'notes.txt'", ["data", "split", w.Tree, "--out", w.Linked, .. sizes]);
        File.Delete(Path.Combine(w.Linked, "notes.txt"));
        // at any depth: a file of the user's among the images, a hidden one, a link to a folder (the audit's NOTES.txt)
        foreach (var (split, rel) in new[] { (w.Copied, "images/a/NOTES.txt"), (w.Linked, "images/b/.hidden"), (w.Copied, "images/a/more") })
        {
            string at = Path.Combine(split, rel);
            if (rel.EndsWith("more", StringComparison.Ordinal)) Directory.CreateSymbolicLink(at, w.Tree);
            else File.WriteAllText(at, "my only copy");
            Refused(w, split, $"holds '{rel}', which sls data split does not write", ["data", "split", w.Tree, "--out", split, "--copy", .. sizes]);
            if (Directory.Exists(at)) Directory.Delete(at);
            else File.Delete(at);
        }
        File.CreateSymbolicLink(w.P("to-linked"), w.Linked);
        Refused(w, w.P("to-linked"), "is a symbolic link", ["data", "split", w.Tree, "--out", w.P("to-linked"), .. sizes]);

        // an earlier split made of links is replaced by a re-split with another seed, and the source stays as it was
        var tree = w.Snapshot().Where(e => e.Key.StartsWith("tree", StringComparison.Ordinal)).ToList();
        var (code, _, err) = CliRunner.Run(["data", "split", w.Tree, "--out", w.Linked, "--seed", "3", .. sizes]);
        Assert.True(code == 0, err);
        Assert.Equal(tree, w.Snapshot().Where(e => e.Key.StartsWith("tree", StringComparison.Ordinal)).ToList());
        Assert.Contains("\"seed\": 3", File.ReadAllText(Path.Combine(w.Linked, "task.json")), StringComparison.Ordinal);
        Assert.All(Directory.GetFiles(Path.Combine(w.Linked, "images"), "*", SearchOption.AllDirectories),
            f => Assert.StartsWith(w.Tree, new FileInfo(f).LinkTarget!, StringComparison.Ordinal));
        // the same over the copied split, from the tree: its copies go, the tree stays
        (code, _, err) = CliRunner.Run(["data", "split", w.Tree, "--out", w.Copied, .. sizes]);
        Assert.True(code == 0, err);
        Assert.Equal(tree, w.Snapshot().Where(e => e.Key.StartsWith("tree", StringComparison.Ordinal)).ToList());
        Assert.Empty(Directory.GetFiles(w.Root, ".*", SearchOption.TopDirectoryOnly)); // no temporary or earlier folder left
        Assert.Empty(Directory.GetDirectories(w.Root, ".*", SearchOption.TopDirectoryOnly));
    }

    /// <summary><c>sls batch</c> writes two files in place, not by a rename: each task's lock (emptied, then the pid) and
    /// <c>--log-file</c> (appended to). A link or a second name (hard link) of an input there would change the input.</summary>
    [Fact]
    public void Batch_never_writes_an_input_through_a_task_lock_or_its_log_file()
    {
        var w = new Workspace();
        string results = w.P("R"), taskLock = Path.Combine(results, "locks", "t.lock");
        Directory.CreateDirectory(Path.Combine(results, "locks"));
        string[] batch = ["batch", "--manifest", w.Manifest, "--out", results];
        File.CreateSymbolicLink(taskLock, w.Petl);
        Refused(w, taskLock, "is a symbolic link; a task's lock file is written in place and never through a link", batch);
        File.Delete(taskLock);
        HardLink(w.Petl, taskLock);
        Refused(w, taskLock, "has 2 names (hard links); a task's lock file is written in place", batch);
        File.Delete(taskLock);
        string log = w.P("run.log");
        HardLink(w.Manifest, log);
        Refused(w, log, "has 2 names (hard links); --log-file is written in place", [.. batch, "--log-file", log]);
        File.Delete(log);
        // a log among the locks would be locked by the run itself
        Refused(w, taskLock, "is in the results folder's locks/, where sls batch takes its task locks", [.. batch, "--log-file", taskLock]);
    }

    /// <summary>A split killed before it renamed its folder into place leaves <c>.NAME.HOST.PID.GUID.tmp</c> (with
    /// <c>--copy</c>, every image); the next split to the same place removes it, and leaves another node's and a live
    /// process's.</summary>
    [Fact]
    public void Data_split_sweeps_what_a_killed_split_left_beside_its_folder()
    {
        var w = new Workspace();
        string Left(string suffix, string host, int pid)
        {
            string at = w.P($".copied.{host}.{pid}.{Guid.NewGuid():N}.{suffix}");
            Directory.CreateDirectory(Path.Combine(at, "images", "a"));
            File.Copy(Path.Combine(w.Tree, "a", "0.png"), Path.Combine(at, "images", "a", "0.png"));
            return at;
        }
        string tmp = Left("tmp", Core.IO.TempName.Host, int.MaxValue), old = Left("old", Core.IO.TempName.Host, int.MaxValue);
        string otherHost = Left("tmp", "other-node", int.MaxValue), live = Left("tmp", Core.IO.TempName.Host, 1);
        var (code, _, err) = CliRunner.Run(["data", "split", w.Tree, "--out", w.Copied, "--train", "4", "--val", "2", "--copy", "--seed", "2"]);
        Assert.True(code == 0, err);
        Assert.False(Directory.Exists(tmp));
        Assert.False(Directory.Exists(old));
        Assert.Equal(new[] { otherHost, live }.Order(StringComparer.Ordinal), Directory.GetDirectories(w.Root, ".*").Order(StringComparer.Ordinal));
        Assert.Contains("\"seed\": 2", File.ReadAllText(Path.Combine(w.Copied, "task.json")), StringComparison.Ordinal);
    }

    /// <summary>A split that fills the disk names its task folder (not the hidden temporary one) and leaves nothing. Run on
    /// a 8 kB tmpfs where the test may mount one (root); elsewhere the message is checked on the same exception.</summary>
    [Fact]
    public void Data_split_on_a_full_disk_names_the_task_folder_and_leaves_nothing()
    {
        var w = new Workspace();
        string full = w.P("full"), task = Path.Combine(full, "task");
        Directory.CreateDirectory(full);
        if (!Mount(full))
        {
            var e = Core.IO.AtomicFile.Failed(task, new IOException($"No space left on device : '{full}/.task.h.1.x.tmp/images/a/0.png'"),
                $"{full}/.task.h.1.x.tmp");
            Assert.Equal($"{task}: could not be written: No space left on device : '{task}/images/a/0.png'", e.Message);
            return;
        }
        try
        {
            var (code, stdout, err) = CliRunner.Run(["data", "split", w.Tree, "--out", task, "--train", "4", "--val", "2", "--copy"]);
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.Equal($"sls: error: {task}: could not be written: No space left on device", err.Trim().Split('\n')[^1]);
            Assert.Empty(Directory.GetFileSystemEntries(full));
        }
        finally
        {
            using var umount = System.Diagnostics.Process.Start("umount", [full]);
            umount.WaitForExit();
        }
    }

    private static void HardLink(string existing, string path)
    {
        using var ln = System.Diagnostics.Process.Start("ln", [existing, path]);
        ln.WaitForExit();
        Assert.Equal(0, ln.ExitCode);
    }

    private static bool Mount(string at)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return false;
        var psi = new System.Diagnostics.ProcessStartInfo("mount", ["-t", "tmpfs", "-o", "size=8k", "tmpfs", at])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var mount = System.Diagnostics.Process.Start(psi)!;
        mount.WaitForExit();
        return mount.ExitCode == 0;
    }
}
