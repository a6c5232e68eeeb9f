using System.Text.Json;
using SlsPrune.Core.Data.Images;

namespace SlsPrune.Cli.Tests;

/// <summary>No silent wrong answer from the input size: a torchvision Swin state dict (tests/fixtures/swin, trained
/// at 32 px) does not record its size. Without <c>--image-size</c> the size is assumed (224), said on stderr, refused
/// where the data's images are more than 2x off, and recorded (<c>input</c>) in the index and eval's JSON; a ViT
/// and a file that records its size run at it without a word.</summary>
public class InputSizeCommandTests
{
    private static string Swin(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "swin", name);

    private static string[] SwinModel(params string[] more) =>
        ["--backbone", Swin("a.pth"), "--petl", Swin("a_lora.safetensors"), "--device", "cpu", .. more];

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    /// <summary>A VTAB-1k task folder of <paramref name="size"/> x <paramref name="size"/> PNGs, <paramref name="perClass"/> per class of
    /// 3.</summary>
    private static string Task(int size, int perClass = 2)
    {
        var dir = Directory.CreateTempSubdirectory("sls-size-task-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        var rng = new Random(1);
        var lines = new List<string>();
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < perClass; i++)
            {
                var px = new byte[size * size * 3];
                for (int p = 0; p < px.Length; p++) px[p] = (byte)(60 * c + rng.Next(40));
                string rel = $"images/{c}_{i}.png";
                File.WriteAllBytes(Path.Combine(dir, rel), PngEncoder.Encode(size, size, 3, px));
                lines.Add($"{rel} {c}");
            }
        foreach (var split in new[] { "train800val200", "test", "train800", "val200" }) File.WriteAllLines(Path.Combine(dir, split + ".txt"), lines);
        return dir;
    }

    private static string Refusal(string file = "a.pth") =>
        $"sls: {Swin(file)}: the input size is not recorded in a torchvision-swin checkpoint; 224 px was assumed (the default, as no Swin variant "
            + $"has this shape) "
        + "but the data's images are 32x32 (give --image-size 32, or --image-size 224 to run at 224 anyway)";

    private static string LastLine(string err) => err.TrimEnd('\n').Split('\n')[^1];

    [Fact]
    public void A_32px_swin_evaluated_or_pruned_without_image_size_is_refused_with_one_line()
    {
        string task = Task(32);
        var (code, output, err) = CliRunner.Run(["eval", .. SwinModel(), "--data", task, "--json"]);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal(Refusal(), LastLine(err));
        Assert.Single(err.Split('\n'), l => l.StartsWith($"sls: {Swin("a.pth")}", StringComparison.Ordinal));
        Assert.DoesNotContain("warning", err, StringComparison.Ordinal);

        string index = Path.Combine(Directory.CreateTempSubdirectory("sls-size-").FullName, "a.sls.json");
        (code, _, err) = CliRunner.Run(["prune", .. SwinModel(), "--data", task, "--method", "depgraph", "--ratio", "0.5", "--out", index]);
        Assert.Equal(2, code);
        Assert.Equal(Refusal(), LastLine(err));
        Assert.False(File.Exists(index));
    }

    [Fact]
    public void Training_a_32px_swin_without_image_size_is_refused_before_any_epoch()
    {
        string task = Task(32), dir = Directory.CreateTempSubdirectory("sls-size-train-").FullName;
        string petl = Path.Combine(dir, "petl.safetensors");
        var (code, _, err) = CliRunner.Run(["train", "--backbone", Swin("a.pth"), "--device", "cpu", "--data", task, "--petl-method", "linear",
            "--epochs", "1", "--out", petl]);
        Assert.Equal(2, code);
        Assert.Equal(Refusal(), LastLine(err));
        Assert.False(File.Exists(petl));
    }

    [Fact]
    public void The_batch_report_has_an_input_column_from_each_result()
    {
        string dir = Directory.CreateTempSubdirectory("sls-size-report-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "results"));
        File.WriteAllText(Path.Combine(dir, "results", "t.json"), """
            { "task": "t", "group": "natural", "status": "ok", "method": "sls",
              "full": { "top1": 0.5, "blocks": 8, "flops_per_image": 1000, "storage": { "per_task_bytes": 10 },
                        "input": { "image_size": 224, "from": "assumed" } } }
            """);
        var report = SlsPrune.Core.Batch.BatchReport.Load(dir);
        Assert.Equal("224 px, assumed", report.Rows[0].Input);
        Assert.Contains("| input |", report.ToMarkdown(), StringComparison.Ordinal);
        Assert.Contains("| 224 px, assumed |", report.ToMarkdown(), StringComparison.Ordinal);
    }

    [Fact]
    public void With_image_size_it_runs_and_the_index_and_eval_record_the_size_and_its_origin()
    {
        string task = Task(32);
        string index = Path.Combine(Directory.CreateTempSubdirectory("sls-size-").FullName, "a.sls.json");
        var (code, output, err) = CliRunner.Run(["prune", .. SwinModel("--image-size", "32"), "--data", task, "--method", "depgraph", "--ratio",
            "0.5", "--out", index, "--json"]);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("warning", err, StringComparison.Ordinal);
        var input = Json(File.ReadAllText(index)).GetProperty("input");
        Assert.Equal((32, "option", "--image-size"), (input.GetProperty("image_size").GetInt32(), input.GetProperty("from").GetString(),
            input.GetProperty("basis").GetString()));
        Assert.Equal(JsonSerializer.Serialize(input), JsonSerializer.Serialize(Json(output).GetProperty("index").GetProperty("input")));

        (code, output, err) = CliRunner.Run(["eval", .. SwinModel("--image-size", "32"), "--data", task, "--index", index, "--json"]);
        Assert.True(code == 0, err);
        var e = Json(output).GetProperty("input");
        Assert.Equal((32, "option"), (e.GetProperty("image_size").GetInt32(), e.GetProperty("from").GetString()));

        // the index says 32 px: the same model without --image-size would run at an assumed 224
        (code, _, err) = CliRunner.Run(["eval", .. SwinModel(), "--data", task, "--index", index]);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {index}: was computed at 32 px (option), but the input size is not recorded in a torchvision-swin checkpoint; 224 px "
            + $"was assumed "
            + "(the default, as no Swin variant has this shape) (give --image-size 32, or --image-size 224 to run at 224 anyway)", LastLine(err));

        // an explicit size always wins, even one the data's images are far from
        (code, output, err) = CliRunner.Run(["eval", .. SwinModel("--image-size", "224"), "--data", task, "--json"]);
        Assert.True(code == 0, err);
        Assert.Equal("option", Json(output).GetProperty("input").GetProperty("from").GetString());
        Assert.DoesNotContain("warning", err, StringComparison.Ordinal);
    }

    [Fact]
    public void An_assumed_size_the_data_fits_is_said_once_on_stderr_and_recorded_as_assumed()
    {
        string task = Task(160, perClass: 1);
        var (code, output, err) = CliRunner.Run(["eval", .. SwinModel(), "--data", task, "--json"]);
        Assert.True(code == 0, err);
        Assert.Single(err.Split('\n'), l => l.StartsWith("sls: warning:", StringComparison.Ordinal));
        Assert.Contains($"sls: warning: {Swin("a.pth")}: the input size is not recorded in a torchvision-swin checkpoint; assuming 224 px "
            + "(the default, as no Swin variant has this shape); give --image-size to set it\n", err, StringComparison.Ordinal);
        var input = Json(output).GetProperty("input");
        Assert.Equal((224, "assumed"), (input.GetProperty("image_size").GetInt32(), input.GetProperty("from").GetString()));
    }

    [Fact]
    public void A_vit_runs_at_its_position_embeddings_size_without_a_warning()
    {
        string task = PruneEvalCommandTests.Task(2, 3);
        var (code, output, err) = CliRunner.Run(["eval", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl",
            CliRunner.Fixture("convpass.pt"),
            "--petl-scale", "0.7", "--heads", "3", "--device", "cpu", "--data", task, "--json"]);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("warning", err, StringComparison.Ordinal);
        var input = Json(output).GetProperty("input");
        Assert.Equal((32, "checkpoint"), (input.GetProperty("image_size").GetInt32(), input.GetProperty("from").GetString()));
    }

    [Fact]
    public void An_export_records_its_size_and_runs_at_it_but_an_assumed_size_stays_assumed()
    {
        string task = Task(32), dir = Directory.CreateTempSubdirectory("sls-size-export-").FullName;
        string given = Path.Combine(dir, "given.safetensors"), assumed = Path.Combine(dir, "assumed.safetensors");
        var (code, _, err) = CliRunner.Run(["export", .. SwinModel("--image-size", "32"), "--format", "safetensors", "--out", given]);
        Assert.True(code == 0, err);
        (code, var output, err) = CliRunner.Run(["eval", "--backbone", given, "--device", "cpu", "--data", task, "--json"]);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("warning", err, StringComparison.Ordinal);
        var input = Json(output).GetProperty("input");
        Assert.Equal((32, "checkpoint", "the file's sls export metadata"), (input.GetProperty("image_size").GetInt32(), input.GetProperty("from")
            .GetString(), input.GetProperty("basis").GetString()));

        // exported at an assumed 224: the file records that it was assumed, and reading it back assumes again
        (code, _, err) = CliRunner.Run(["export", .. SwinModel(), "--format", "safetensors", "--out", assumed]);
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(["eval", "--backbone", assumed, "--device", "cpu", "--data", task]);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {assumed}: the input size 224 in the file's metadata was itself assumed when it was written; 224 px was assumed (the "
            + $"default, as no Swin variant has this shape) "
            + "but the data's images are 32x32 (give --image-size 32, or --image-size 224 to run at 224 anyway)", LastLine(err));
    }

    [Fact]
    public void Inspect_says_where_the_input_size_comes_from()
    {
        var (code, output, err) = CliRunner.Run(["inspect", Swin("a.pth"), "--json"]);
        Assert.True(code == 0, err);
        var input = Json(output).GetProperty("checkpoint").GetProperty("architecture").GetProperty("input");
        Assert.Equal((224, "assumed"), (input.GetProperty("image_size").GetInt32(), input.GetProperty("from").GetString()));
        (code, output, err) = CliRunner.Run(["inspect", Swin("a.pth")]);
        Assert.True(code == 0, err);
        Assert.Contains("input size 224 px from assumed: the default, as no Swin variant has this shape (give --image-size to set it)", output,
            StringComparison.Ordinal);
        (code, output, err) = CliRunner.Run(["inspect", CliRunner.Fixture("backbone.safetensors")]);
        Assert.True(code == 0, err);
        Assert.Contains("input size 32 px from checkpoint: its position embedding (4x4 patches of 8)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_index_reader_takes_an_index_without_input_and_refuses_a_wrong_origin()
    {
        string task = Task(32);
        string index = Path.Combine(Directory.CreateTempSubdirectory("sls-size-").FullName, "a.sls.json");
        var (code, _, err) = CliRunner.Run(["prune", .. SwinModel("--image-size", "32"), "--data", task, "--method", "depgraph", "--ratio", "0.5",
            "--out", index]);
        Assert.True(code == 0, err);
        var doc = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(index))!.AsObject();
        doc.Remove("input");
        string older = Path.Combine(Path.GetDirectoryName(index)!, "older.sls.json");
        File.WriteAllText(older, doc.ToJsonString());
        (code, _, err) = CliRunner.Run(["eval", .. SwinModel("--image-size", "32"), "--data", task, "--index", older]);
        Assert.True(code == 0, err);

        doc["input"] = new System.Text.Json.Nodes.JsonObject { ["image_size"] = 32, ["from"] = "guess" };
        string wrong = Path.Combine(Path.GetDirectoryName(index)!, "wrong.sls.json");
        File.WriteAllText(wrong, doc.ToJsonString());
        (code, _, err) = CliRunner.Run(["eval", .. SwinModel("--image-size", "32"), "--data", task, "--index", wrong]);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {wrong}: field 'input.from' is 'guess', not checkpoint, option, assumed", LastLine(err));
    }
}
