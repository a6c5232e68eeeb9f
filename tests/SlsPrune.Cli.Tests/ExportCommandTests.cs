using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary><c>sls export</c> and <c>sls eval --engine onnxruntime</c> from the command line: JSON shapes, the same
/// accuracy from both engines and from the standalone file, and exit 2 with one line for bad input.</summary>
public class ExportCommandTests
{
    private static string[] Model() =>
        ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl", CliRunner.Fixture("convpass.safetensors"), "--heads", "3", "--device", "cpu"];

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public void Exported_onnx_and_standalone_files_evaluate_as_the_original_model()
    {
        string task = PruneEvalCommandTests.Task(8, 5);
        string dir = Directory.CreateTempSubdirectory("sls-export-cli-").FullName;
        string onnx = Path.Combine(dir, "m.onnx"), st = Path.Combine(dir, "m.safetensors");

        var (code, output, err) = CliRunner.Run(["export", .. Model(), "--format", "onnx", "--out", onnx, "--json"]);
        Assert.True(code == 0, err);
        var r = Json(output);
        Assert.Equal(("onnx", 3, "convpass"), (r.GetProperty("format").GetString(), r.GetProperty("blocks").GetInt32(), r.GetProperty("petl").GetString()));
        Assert.Equal(new FileInfo(onnx).Length, r.GetProperty("bytes").GetInt64());
        Assert.True(CliRunner.Run(["export", .. Model(), "--format", "safetensors", "--out", st]).Code == 0);

        var torch = Json(CliRunner.Run(["eval", .. Model(), "--data", task, "--json"]).Out);
        string ortPlots = Path.Combine(Path.GetDirectoryName(onnx)!, "ort-plots");
        var ort = CliRunner.Run(["eval", "--engine", "onnxruntime", "--model", onnx, "--data", task, "--json", "--plots", ortPlots]);
        Assert.True(ort.Code == 0, ort.Err);
        Assert.Equal(4, Json(ort.Out).GetProperty("plots").GetArrayLength());
        // the same predictions through both engines: the same per-class counts
        Assert.Equal(torch.GetProperty("per_class").ToString(), Json(ort.Out).GetProperty("per_class").ToString());
        var standalone = CliRunner.Run(["eval", "--backbone", st, "--device", "cpu", "--data", task, "--json"]);
        Assert.True(standalone.Code == 0, standalone.Err);
        int correct = torch.GetProperty("correct").GetInt32();
        Assert.Equal(40, torch.GetProperty("images").GetInt32());
        Assert.Equal(correct, Json(ort.Out).GetProperty("correct").GetInt32());
        Assert.Equal(correct, Json(standalone.Out).GetProperty("correct").GetInt32());
        Assert.Equal(torch.GetProperty("flops_per_image").GetInt64(), Json(ort.Out).GetProperty("flops_per_image").GetInt64());
    }

    [Fact]
    public void Bad_exports_exit_2_with_one_line_and_write_nothing()
    {
        string dir = Directory.CreateTempSubdirectory("sls-export-cli-bad-").FullName;
        string outPath = Path.Combine(dir, "m.onnx");
        var (code, _, err) = CliRunner.Run(["export", .. Model(), "--format", "onnx", "--merge", "--out", outPath]);
        Assert.Equal(2, code);
        Assert.Equal("sls: --merge: convpass adapters do not fold exactly into the backbone; export without --merge to keep them as modules", err.Trim().Split('\n')[^1]);
        var bad = CliRunner.Run(["eval", "--engine", "onnxruntime", "--model", CliRunner.Fixture("backbone.safetensors"), "--data", PruneEvalCommandTests.Task(2, 2)]);
        Assert.Equal(2, bad.Code);
        // read as protobuf before ONNX Runtime sees it (OnnxModelCheck), a safetensors file is refused there
        Assert.Equal($"sls: {CliRunner.Fixture("backbone.safetensors")}: not a valid ONNX model (corrupt protobuf)", bad.Err.Trim().Split('\n')[^1]);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public void An_export_with_an_index_carries_the_tasks_class_names()
    {
        string task = PruneEvalCommandTests.Task(4, 5);
        File.WriteAllText(Path.Combine(task, "task.json"), """{"classes": ["shirt", "bag", "coat", "boot", "sandal"]}""");
        string dir = Directory.CreateTempSubdirectory("sls-export-names-").FullName;
        string index = Path.Combine(dir, "i.sls.json"), onnx = Path.Combine(dir, "m.onnx");
        var prune = CliRunner.Run(["prune", .. Model(), "--data", task, "--split", "test", "--method", "bi", "--keep-blocks", "2", "--out", index]);
        Assert.True(prune.Code == 0, prune.Err);
        var export = CliRunner.Run(["export", .. Model(), "--index", index, "--format", "onnx", "--out", onnx]);
        Assert.True(export.Code == 0, export.Err);
        using var ort = Core.Evaluation.OnnxRuntimeModel.Open(onnx);
        Assert.Equal("""["shirt","bag","coat","boot","sandal"]""", ort.Metadata["class_names"]);
        Assert.Equal(2, ort.Metadata["kept_blocks"].Split(',').Length);   // bi kept 2 of 3 blocks
    }
}
