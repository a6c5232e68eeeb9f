using System.Diagnostics;
using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>The small things a newcomer reads: a wrong file named as what it is, no trailing spaces, apostrophes as
/// written in JSON, singular counts, a resumed run said as such, and the ONNX sample's one-line failures.</summary>
public class OutputHabitsTests
{
    private static string[] Vit => ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--heads", "3", "--device", "cpu"];

    private static string OneLine(string err)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, err);
        return lines[0];
    }

    public static TheoryData<string, string> WrongFiles() => new()
    {
        { Path.Combine("fixtures", "images", "rgba.png"), "is a PNG image, not a checkpoint" },
        { Path.Combine("fixtures", "images", "rgb.jpg"), "is a JPEG image, not a checkpoint" },
        { Path.Combine("hostile", "onnx-computed-shape.onnx"), "is an ONNX model (sls eval --engine onnxruntime --model FILE evaluates one), not a "
            + "checkpoint" },
        { Path.Combine("hostile", "index-unordered.sls.json"), "is a pruning index (JSON; give it to --index), not a checkpoint" },
        { Path.Combine("hostile", "cases.json"), "is a JSON file, not a checkpoint" },
    };

    [Theory]
    [MemberData(nameof(WrongFiles))]
    public void Inspect_names_a_file_it_does_not_read_and_what_it_reads(string file, string expected)
    {
        string path = Path.Combine(AppContext.BaseDirectory, file);
        var (code, output, err) = CliRunner.Run("inspect", path);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("", output);
        string line = OneLine(err);
        Assert.Equal($"sls: {path}: {expected}; {ContentKind.Readable}", line);
        Assert.DoesNotContain("header length", line, StringComparison.Ordinal);
        // the other commands that read a checkpoint say the same
        var (code2, _, err2) = CliRunner.Run(["eval", "--backbone", path, "--data", PruneEvalCommandTests.Task(1, 2)]);
        Assert.Equal(ExitCodes.BadInput, code2);
        Assert.Contains(expected, err2, StringComparison.Ordinal);
    }

    [Fact]
    public void A_text_file_is_named_and_a_cut_safetensors_file_keeps_its_own_message()
    {
        string dir = Directory.CreateTempSubdirectory("sls-kind-").FullName;
        string notes = Path.Combine(dir, "notes.txt");
        File.WriteAllText(notes, "weights: see the shared drive ünd so on\n");
        Assert.Contains("is a text file, not a checkpoint", CliRunner.Run("inspect", notes).Err, StringComparison.Ordinal);
        string cut = CliRunner.Truncated("backbone.safetensors", 200);
        var (code, _, err) = CliRunner.Run("inspect", cut);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.DoesNotContain("not a checkpoint", err, StringComparison.Ordinal);
        Assert.Contains("safetensors", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_lines_end_without_spaces()
    {
        var (code, output, err) = CliRunner.Run("inspect", CliRunner.Fixture("backbone.safetensors"), "--heads", "3");
        Assert.True(code == 0, err);
        var lines = output.Split('\n');
        Assert.True(lines.Length > 10);
        Assert.All(lines, l => Assert.False(l.EndsWith(' '), $"trailing space: '{l}'"));
        Assert.Contains(lines, l => l.StartsWith("format", StringComparison.Ordinal) && l.EndsWith("safetensors", StringComparison.Ordinal));
    }

    [Fact]
    public void Json_keeps_apostrophes_as_written_in_output_and_the_index()
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("sls-quote-").FullName, "it's here");
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, "backbone.safetensors");
        File.Copy(CliRunner.Fixture("backbone.safetensors"), file);
        var (code, output, err) = CliRunner.Run("inspect", file, "--json");
        Assert.True(code == 0, err);
        Assert.Contains("it's here", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0027", output, StringComparison.Ordinal);
        Assert.Equal(file, JsonDocument.Parse(output).RootElement.GetProperty("checkpoint").GetProperty("path").GetString());

        string task = PruneEvalCommandTests.Task(4, 2);
        File.WriteAllText(Path.Combine(task, "task.json"), """{"classes": ["o'neill", "d'arcy"]}""");
        string index = Path.Combine(dir, "task.sls.json");
        (code, output, err) = CliRunner.Run(["prune", .. Vit, "--petl", CliRunner.Fixture("convpass.pt"), "--petl-scale", "0.7", "--data", task,
            "--out", index, "--perplexity", "2", "--allow-class-mismatch", "--json"]);
        Assert.True(code == 0, err);
        string text = File.ReadAllText(index);
        Assert.Contains("\"o'neill\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0027", text + output, StringComparison.Ordinal);
        Assert.Equal(["o'neill", "d'arcy"], PruningIndex.Load(index).ClassNames!);
    }

    [Fact]
    public void One_is_singular()
    {
        Assert.Equal("1 class", Output.Plural.Of(1, "class", "classes"));
        Assert.Equal("0 classes", Output.Plural.Of(0, "class", "classes"));
        Assert.Equal("2 files", Output.Plural.Of(2, "file"));
        // a head alone, with one class and no adapted block
        string file = Path.Combine(Directory.CreateTempSubdirectory("sls-plural-").FullName, "head.safetensors");
        SafetensorsWriter.Write(file, new Dictionary<string, TorchSharp.torch.Tensor>
        {
            ["head.weight"] = TorchSharp.torch.zeros(1, 48),
            ["head.bias"] = TorchSharp.torch.zeros(1)
        });
        var (code, output, err) = CliRunner.Run("inspect", file);
        Assert.True(code == 0, err);
        Assert.Contains("0 adapted blocks, 1 class", output, StringComparison.Ordinal);
        Assert.DoesNotContain("1 classes", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Training_says_where_it_resumes()
    {
        string task = PruneEvalCommandTests.Task(4, 2);
        string petl = Path.Combine(Directory.CreateTempSubdirectory("sls-resume-").FullName, "head.safetensors");
        string[] train = ["train", .. Vit, "--data", task, "--petl-method", "linear", "--warmup-epochs", "0", "--eval-every", "1",
            "--split", "train800", "--eval-split", "val200", "--out", petl];
        // a run stopped after its first epoch (as Ctrl-C stops it: at the next batch, the state saved)
        using var stop = new CancellationTokenSource();
        var err1 = new StopAfter("epoch 1/3", stop);
        int code = await SlsCli.RunAsync([.. train, "--epochs", "3"], new StringWriter(), err1, stop.Token);
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("resuming", err1.ToString(), StringComparison.Ordinal);
        string err;
        (code, var output, err) = CliRunner.Run([.. train, "--epochs", "3", "--json"]);
        Assert.True(code == 0, err);
        Assert.Contains("sls: train: resuming at epoch 2 of 3 from head.safetensors.state.safetensors (best so far", err, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch 1/3", err, StringComparison.Ordinal);
        Assert.Contains("epoch 2/3", err, StringComparison.Ordinal);
        Assert.Equal(1, JsonDocument.Parse(output).RootElement.GetProperty("resumed_from_epoch").GetInt32());
    }

    private static (int Code, string Out, string Err) Sample(params string[] args)
    {
        string config = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Release>/net10.0
        string dll = Path.Combine(ShippedModelTests.RepoRoot(), "samples", "OnnxClassify", "bin", config, "net10.0", "OnnxClassify.dll");
        Assert.True(File.Exists(dll), $"{dll} not built");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args.Prepend(dll)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

    [Fact]
    public void The_onnx_sample_says_in_one_line_what_is_wrong_with_its_files()
    {
        string dir = Directory.CreateTempSubdirectory("sls-sample-").FullName;
        string model = Path.Combine(AppContext.BaseDirectory, "hostile", "onnx-computed-shape.onnx");
        string image = Path.Combine(AppContext.BaseDirectory, "fixtures", "images", "rgb.jpg");
        string missing = Path.Combine(dir, "missing.png");
        string text = Path.Combine(dir, "notes.png");
        File.WriteAllText(text, "not an image");

        var (code, output, err) = Sample(model, missing);
        Assert.Equal((2, ""), (code, output));
        Assert.Equal($"OnnxClassify: {missing}: file not found", OneLine(err));

        (code, _, err) = Sample(model, text);
        Assert.Equal(2, code);
        Assert.StartsWith($"OnnxClassify: {text}: not an image this sample decodes", OneLine(err), StringComparison.Ordinal);

        (code, _, err) = Sample(missing + ".onnx", image);
        Assert.Equal(2, code);
        Assert.Equal($"OnnxClassify: {missing}.onnx: file not found", OneLine(err));

        (code, _, err) = Sample(text, image);
        Assert.Equal(2, code);
        Assert.StartsWith($"OnnxClassify: {text}: not a model ONNX Runtime loads", OneLine(err), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    /// <summary>stderr that cancels the run when a line containing <paramref name="text"/> is written.</summary>
    private sealed class StopAfter(string text, CancellationTokenSource stop) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(text, StringComparison.Ordinal) == true) stop.Cancel();
        }
    }
}
