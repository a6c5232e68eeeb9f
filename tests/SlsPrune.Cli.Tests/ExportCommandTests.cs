using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary><c>sls export</c> and <c>sls eval --engine onnxruntime</c> from the command line: JSON shapes, the same
/// accuracy from both engines and from the standalone file, and exit 2 with one line for bad input.</summary>
public class ExportCommandTests
{
    private static string[] Model() =>
        ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl", CliRunner.Fixture("convpass.safetensors"), "--heads", "3", "--device",
            "cpu"];

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
        Assert.Equal(("onnx", 3, "convpass"), (r.GetProperty("format").GetString(), r.GetProperty("blocks").GetInt32(), r.GetProperty("petl")
            .GetString()));
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
        Assert.Equal("sls: --merge: convpass adapters do not fold exactly into the backbone; export without --merge to keep them as modules",
            err.Trim().Split('\n')[^1]);
        var bad = CliRunner.Run(["eval", "--engine", "onnxruntime", "--model", CliRunner.Fixture("backbone.safetensors"), "--data",
            PruneEvalCommandTests.Task(2, 2)]);
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
    [Fact]
    public void Onnx_runtime_writes_nothing_of_its_own_to_stderr()
    {
        string task = PruneEvalCommandTests.Task(2, 5);
        string dir = Directory.CreateTempSubdirectory("sls-export-ort-log-").FullName;
        string onnx = Path.Combine(dir, "m.onnx");
        Assert.True(CliRunner.Run(["export", .. Model(), "--format", "onnx", "--out", onnx]).Code == 0);
        // an initializer no node uses, merged into the graph by a second graph field: ONNX Runtime warns that it removes it
        // (by default on the process's stderr, in colour); the process is a child so that its native stderr is seen
        File.AppendAllBytes(onnx, UnusedInitializer("unused_weight"));
        var err = new List<string>();
        using var p = KillDuringWriteTests.Start(["eval", "--engine", "onnxruntime", "--model", onnx, "--data", task], line =>
            { lock (err) err.Add(line); });
        Assert.True(p.WaitForExit(180_000), "eval did not finish");
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, string.Join("\n", err));
        lock (err)
        {
            Assert.DoesNotContain(err, l => l.Contains('\u001b', StringComparison.Ordinal));
            Assert.DoesNotContain(err, l => l.Contains("onnxruntime", StringComparison.OrdinalIgnoreCase) && !l.StartsWith("sls: ",
                StringComparison.Ordinal));
            Assert.DoesNotContain(err, l => l.Contains("unused_weight", StringComparison.Ordinal));
        }
    }

    /// <summary>ModelProto field 7 (graph) holding GraphProto field 5 (initializer): a float tensor [1] named <paramref name="name"/>.</summary>
    private static byte[] UnusedInitializer(string name)
    {
        static byte[] Varint(ulong v)
        {
            var b = new List<byte>();
            for (; v >= 0x80; v >>= 7) b.Add((byte)(v | 0x80));
            b.Add((byte)v);
            return [.. b];
        }
        static byte[] Field(int number, byte[] payload) => [.. Varint((ulong)(number << 3 | 2)), .. Varint((ulong)payload.Length), .. payload];
        static byte[] Int(int number, ulong v) => [.. Varint((ulong)(number << 3)), .. Varint(v)];
        byte[] tensor = [.. Int(1, 1), .. Int(2, 1), .. Field(8, System.Text.Encoding.ASCII.GetBytes(name)), .. Field(9, new byte[4])];
        return Field(7, Field(5, tensor));
    }
}
