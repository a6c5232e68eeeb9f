using System.Diagnostics;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// What the hostile corpus cannot hold (a build copies it): a FIFO, a link to <c>/dev/zero</c>, a file of
/// gigabytes (sparse), a link loop, <c>--data /</c>, absurd <c>--image-size</c> values. Each is made here, in place of
/// every kind of file <c>sls</c> reads, and must end with exit code 2 and exactly its one line, within
/// <see cref="Limit"/>: a hang fails the test instead of hanging the run.
/// </summary>
public sealed class HostileBoundsTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private static readonly string Hostile = Path.Combine(AppContext.BaseDirectory, "hostile");
    private readonly string _dir = Directory.CreateTempSubdirectory("sls-bounds-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private const string NotRegular = "not a regular file (a FIFO, device, socket or folder)";

    private static void Fifo(string path)
    {
        File.Delete(path);
        using var p = Process.Start("mkfifo", path)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    private static void Zero(string path)
    {
        File.Delete(path);
        File.CreateSymbolicLink(path, "/dev/zero");
    }

    /// <summary>A sparse file of <paramref name="bytes"/> (no disk used): as big as it says, nothing in it.</summary>
    private static void Sparse(string path, long bytes)
    {
        using var f = new FileStream(path, FileMode.Create);
        f.SetLength(bytes);
    }

    private static void Expect(string line, params string[] args)
    {
        var run = Task.Run(() => CliRunner.Run(args));
        Assert.True(run.Wait(Limit), $"sls {string.Join(' ', args)} did not finish within {Limit.TotalSeconds} s (a hang)");
        var (code, _, err) = run.Result;
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Equal(line, lines[^1]);
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));
    }

    private static string[] Model => ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl", CliRunner.Fixture("convpass.safetensors"),
        "--heads", "3"];

    private static string Task_ => Path.Combine(Hostile, "task-ok");

    private string CopyFolder(string from, string name)
    {
        string to = Path.Combine(_dir, name);
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        return to;
    }

    public static TheoryData<string, string> SideFiles() => new()
    {
        { "config.json", "fifo" }, { "preprocessor_config.json", "zero" }, { "config.json", "zero" },
    };

    [Theory]
    [MemberData(nameof(SideFiles))]
    public void A_side_file_of_a_checkpoint_folder(string name, string kind)
    {
        string folder = CopyFolder(CliRunner.Layout("hf_vit"), "hf");
        string file = Path.Combine(folder, name);
        if (kind == "fifo") Fifo(file);
        else Zero(file);
        Expect($"sls: {file}: {NotRegular}", "inspect", folder);
    }

    [Fact]
    public void A_config_json_of_gigabytes_is_refused_unread()
    {
        string folder = CopyFolder(CliRunner.Layout("hf_vit"), "hf");
        Sparse(Path.Combine(folder, "config.json"), 3L << 30);
        Expect($"sls: {folder}/config.json: is 3 GiB; a config.json is at most 16 MiB", "inspect", folder);
    }

    [Fact]
    public void A_peft_adapter_config_fifo()
    {
        string folder = CopyFolder(Path.Combine(AppContext.BaseDirectory, "fixtures", "peft", "hf_qv"), "peft");
        Fifo(Path.Combine(folder, "adapter_config.json"));
        Expect($"sls: {folder}/adapter_config.json: {NotRegular}", "eval", "--backbone", CliRunner.Layout("hf_vit"), "--petl", folder, "--data",
            Task_, "--split", "train800val200");
    }

    [Theory]
    [InlineData("backbone.safetensors", "fifo")]
    [InlineData("backbone.pt", "zero")]
    [InlineData("backbone.npz", "fifo")]
    public void A_checkpoint(string name, string kind)
    {
        string file = Path.Combine(_dir, name);
        if (kind == "fifo") Fifo(file);
        else Zero(file);
        Expect($"sls: {file}: {NotRegular}", "inspect", file);
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("zero")]
    public void A_pruning_index(string kind)
    {
        string file = Path.Combine(_dir, "index.sls.json");
        if (kind == "fifo") Fifo(file);
        else Zero(file);
        Expect($"sls: {file}: {NotRegular}", ["eval", .. Model, "--data", Task_, "--split", "train800val200", "--index", file]);
    }

    [Fact]
    public void A_pruning_index_of_100_mib()
    {
        string file = Path.Combine(_dir, "index.sls.json");
        Sparse(file, 100L << 20);
        Expect($"sls: {file}: is 100 MiB; a pruning index is at most 64 MiB", ["eval", .. Model, "--data", Task_, "--split", "train800val200",
            "--index", file]);
    }

    [Theory]
    [InlineData("manifest.yaml", "fifo")]
    [InlineData("manifest.json", "zero")]
    public void A_batch_manifest(string name, string kind)
    {
        string file = Path.Combine(_dir, name);
        if (kind == "fifo") Fifo(file);
        else Zero(file);
        Expect($"sls: {file}: {NotRegular}", "batch", "--manifest", file, "--out", Path.Combine(_dir, "out"));
    }

    [Fact]
    public void A_result_json_read_by_report()
    {
        string results = Path.Combine(_dir, "batch", "results");
        Directory.CreateDirectory(results);
        Fifo(Path.Combine(results, "a.json"));
        Expect($"sls: {results}/a.json: {NotRegular}", "report", Path.Combine(_dir, "batch"));
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("zero")]
    public void An_onnx_model(string kind)
    {
        string file = Path.Combine(_dir, "model.onnx");
        if (kind == "fifo") Fifo(file);
        else Zero(file);
        Expect($"sls: {file}: {NotRegular}", "eval", "--engine", "onnxruntime", "--model", file, "--data", Task_, "--split", "train800val200");
    }

    [Theory]
    [InlineData("task.json", "fifo")]
    [InlineData("train800val200.txt", "fifo")]
    [InlineData("train800val200.txt", "zero")]
    public void A_task_folder_file(string name, string kind)
    {
        string task = CopyFolder(Task_, "task");
        File.CreateSymbolicLink(Path.Combine(task, "images"), Path.Combine(Task_, "images"));
        string file = Path.Combine(task, name);
        if (kind == "fifo") Fifo(file);
        else Zero(file);
        Expect($"sls: {file}: {NotRegular}", ["eval", .. Model, "--data", task, "--split", "train800val200"]);
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("zero")]
    public void A_csv_data_file(string kind)
    {
        string file = Path.Combine(_dir, "data.csv");
        if (kind == "fifo") Fifo(file);
        else Zero(file);
        Expect($"sls: {file}: {NotRegular}", ["eval", .. Model, "--data", file, "--split", "all"]);
    }

    [Fact]
    public void A_link_loop_in_an_image_folder_tree()
    {
        string tree = Path.Combine(_dir, "tree");
        foreach (var c in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(tree, c));
            File.Copy(Path.Combine(Task_, "images", "000.png"), Path.Combine(tree, c, "x.png"));
        }
        Directory.CreateSymbolicLink(Path.Combine(tree, "a", "self"), ".");
        string real = SlsPrune.Core.IO.RealPath.Resolve(Path.Combine(tree, "a"));
        Expect($"sls: {tree}/a/self: leads back to '{real}', a folder above it (a symbolic link loop)", ["eval", .. Model, "--data", tree, "--split",
            "all"]);
    }

    [Fact]
    public void A_linked_class_folder_and_a_csv_path_out_of_its_folder_are_followed()
    {
        string elsewhere = Path.Combine(_dir, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        File.Copy(Path.Combine(Task_, "images", "000.png"), Path.Combine(elsewhere, "x.png"));
        string tree = Path.Combine(_dir, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "a"));
        File.Copy(Path.Combine(Task_, "images", "001.png"), Path.Combine(tree, "a", "y.png"));
        Directory.CreateSymbolicLink(Path.Combine(tree, "b"), elsewhere);
        var (code, _, err) = CliRunner.Run(["eval", .. Model, "--data", tree, "--split", "all", "--allow-class-mismatch"]);
        Assert.True(code == 0, err);
        string csvDir = Path.Combine(_dir, "csv");
        Directory.CreateDirectory(csvDir);
        File.WriteAllText(Path.Combine(csvDir, "d.csv"), "path,label\n../elsewhere/x.png,0\n../tree/a/y.png,1\n");
        (code, _, err) = CliRunner.Run(["eval", .. Model, "--data", Path.Combine(csvDir, "d.csv"), "--split", "all", "--allow-class-mismatch"]);
        Assert.True(code == 0, err);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/proc")]
    public void A_system_folder_as_data(string data) =>
        Expect($"sls: {data}: leads to '{data}', a system folder (/, /proc, /sys or /dev), not data", ["eval", .. Model, "--data", data, "--split",
            "all"]);

    [Theory]
    [InlineData("1000000", "sls: --image-size: input size 1000000 is not within 1..4096 pixels")]
    [InlineData("4096", "sls: --image-size: 4096 cuts into 262144 patches of 8, more than 16384 (a 128x128 grid)")]
    public void An_absurd_image_size(string size, string line) =>
        Expect(line, ["eval", .. Model, "--data", Task_, "--split", "train800val200", "--image-size", size]);
}
