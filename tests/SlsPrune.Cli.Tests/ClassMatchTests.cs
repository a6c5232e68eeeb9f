using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// Rule two for classes: a head answers only the question it was trained on. Each case below gave a top-1 at exit 0
/// before the check (the head's rows were read by index whatever the data's classes were); now it is refused with one
/// line naming both lists, and <c>--allow-class-mismatch</c> runs it deliberately.
/// </summary>
public class ClassMatchTests
{
    /// <summary>A 3-class task folder whose task.json names its classes.</summary>
    private static string NamedTask(params string[] names)
    {
        string task = PruneEvalCommandTests.Task(4, names.Length);
        File.WriteAllText(Path.Combine(task, "task.json"), JsonSerializer.Serialize(new { classes = names }));
        return task;
    }

    private static string[] Vit => ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--heads", "3", "--device", "cpu"];

    /// <summary>A linear head trained by sls train on <paramref name="task"/>: it records the task's class names.</summary>
    private static string TrainedHead(string task)
    {
        string petl = Path.Combine(Directory.CreateTempSubdirectory("sls-classes-").FullName, "head.safetensors");
        var (code, _, err) = CliRunner.Run(["train", .. Vit, "--data", task, "--petl-method", "linear", "--epochs", "1", "--warmup-epochs", "0",
            "--split", "train800val200", "--eval-split", "val200", "--out", petl]);
        Assert.True(code == 0, err);
        return petl;
    }

    private static string LastLine(string stderr) => stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];

    [Fact]
    public void A_head_trained_on_other_class_names_is_refused_naming_both_lists()
    {
        string petl = TrainedHead(NamedTask("shirt", "shoe", "bag"));
        string other = NamedTask("cat", "dog", "bird");
        string[] eval = ["eval", .. Vit, "--petl", petl, "--data", other, "--split", "test"];

        var (code, stdout, err) = CliRunner.Run(eval);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {petl}: was made for the classes [shirt, shoe, bag], but the data's classes are [cat, dog, bird]; "
            + "give the task's own files, or --allow-class-mismatch to map the classes by index anyway", LastLine(err));
        Assert.Equal("", stdout);
        var prune = CliRunner.Run(["prune", .. Vit, "--petl", petl, "--data", other, "--out", Path.Combine(Path.GetDirectoryName(petl)!,
            "i.sls.json")]);
        Assert.Equal(2, prune.Code);
        Assert.Equal(LastLine(err), LastLine(prune.Err));

        // the same classes in another order are another task too
        var (reordered, _, err2) = CliRunner.Run(["eval", .. Vit, "--petl", petl, "--data", NamedTask("bag", "shirt", "shoe"), "--split", "test"]);
        Assert.Equal(2, reordered);
        Assert.Contains("[shirt, shoe, bag], but the data's classes are [bag, shirt, shoe]", err2, StringComparison.Ordinal);

        // deliberate: mapped by index, and a top-1 comes out
        var (allowed, json, err3) = CliRunner.Run([.. eval, "--allow-class-mismatch", "--json"]);
        Assert.True(allowed == 0, err3);
        Assert.InRange(JsonNode.Parse(json)!["top1"]!.GetValue<double>(), 0, 1);
        // the task it was trained on runs as before
        var (same, _, err4) = CliRunner.Run(["eval", .. Vit, "--petl", petl, "--data", NamedTask("shirt", "shoe", "bag"), "--split", "test"]);
        Assert.True(same == 0, err4);
    }

    [Fact]
    public void An_export_carries_its_heads_class_names_and_is_refused_on_other_classes()
    {
        string petl = TrainedHead(NamedTask("shirt", "shoe", "bag"));
        string dir = Path.GetDirectoryName(petl)!;
        string onnx = Path.Combine(dir, "m.onnx"), standalone = Path.Combine(dir, "m.safetensors");
        Assert.Equal(0, CliRunner.Run(["export", .. Vit, "--petl", petl, "--format", "onnx", "--out", onnx]).Code);
        Assert.Equal(0, CliRunner.Run(["export", .. Vit, "--petl", petl, "--format", "safetensors", "--out", standalone]).Code);
        string other = NamedTask("cat", "dog", "bird");
        var (code, _, err) = CliRunner.Run("eval", "--engine", "onnxruntime", "--model", onnx, "--data", other, "--split", "test");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {onnx}: was made for the classes [shirt, shoe, bag], but the data's classes are [cat, dog, bird]; "
            + "give the task's own files, or --allow-class-mismatch to map the classes by index anyway", LastLine(err));
        var (code2, _, err2) = CliRunner.Run("eval", "--backbone", standalone, "--data", other, "--split", "test", "--device", "cpu");
        Assert.Equal(2, code2);
        Assert.StartsWith($"sls: {standalone}: its own head classifies [shirt, shoe, bag], but the data's classes are [cat, dog, bird]",
            LastLine(err2), StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("eval", "--engine", "onnxruntime", "--model", onnx, "--data", NamedTask("shirt", "shoe", "bag"), "--split",
            "test").Code);
    }

    [Fact]
    public void An_index_whose_class_names_do_not_fit_the_head_is_refused()
    {
        string task = NamedTask("shirt", "shoe", "bag");
        string petl = TrainedHead(task);
        string index = Path.Combine(Path.GetDirectoryName(petl)!, "i.sls.json");
        Assert.Equal(0, CliRunner.Run(["prune", .. Vit, "--petl", petl, "--data", task, "--method", "bi", "--keep-blocks", "2", "--out", index])
            .Code);
        var node = JsonNode.Parse(File.ReadAllText(index))!.AsObject();
        node["class_names"] = new JsonArray("shirt", "shoe");
        File.WriteAllText(index, node.ToJsonString());
        var (code, _, err) = CliRunner.Run(["eval", .. Vit, "--petl", petl, "--data", task, "--split", "test", "--index", index, "--allow-mismatch"]);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {index}: records 2 class names, but the head has 3 rows; give the index computed with this model", LastLine(err));
        node["class_names"] = new JsonArray("bag", "shoe", "shirt");
        File.WriteAllText(index, node.ToJsonString());
        (code, _, err) = CliRunner.Run(["eval", .. Vit, "--petl", petl, "--data", task, "--split", "test", "--index", index, "--allow-mismatch"]);
        Assert.Equal(2, code);
        Assert.StartsWith($"sls: {index}: was computed for the classes [bag, shoe, shirt], but the head", LastLine(err), StringComparison.Ordinal);
    }

    [Fact]
    public void A_head_with_more_rows_than_the_data_names_is_refused()
    {
        // a 3-class head on data that names 2 classes: labels 0 and 1 would be read against rows 0..2
        string petl = TrainedHead(NamedTask("shirt", "shoe", "bag"));
        string two = PruneEvalCommandTests.Task(4, 2);
        File.WriteAllText(Path.Combine(two, "task.json"), "{\"classes\": [\"shirt\", \"shoe\"]}");
        var (code, _, err) = CliRunner.Run(["eval", .. Vit, "--petl", petl, "--data", two, "--split", "test"]);
        Assert.Equal(2, code);
        Assert.Contains($"sls: {petl}: was made for the classes [shirt, shoe, bag], but the data's classes are [shirt, shoe]", LastLine(err),
            StringComparison.Ordinal);
    }

    [Fact]
    public void The_backbones_own_head_is_not_used_on_a_task_with_other_classes()
    {
        // the Hugging Face model's head classifies [cat, dog, bird, fish, frog]
        string hf = CliRunner.Layout("hf_vit");
        string task = NamedTask("shirt", "shoe", "bag");
        var (code, stdout, err) = CliRunner.Run("eval", "--backbone", hf, "--data", task, "--split", "test", "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {hf}: its own head classifies [cat, dog, bird, fish, frog], but the data's classes are [shirt, shoe, bag]; "
            + "give the task's PETL file (--petl), or --allow-class-mismatch to use the backbone's head anyway", LastLine(err));
        Assert.Equal("", stdout);

        // unnamed data: the class count tells (5 rows against 3 classes)
        string unnamed = PruneEvalCommandTests.Task(4, 3);
        var (code2, _, err2) = CliRunner.Run("eval", "--backbone", hf, "--data", unnamed, "--split", "test", "--device", "cpu");
        Assert.Equal(2, code2);
        Assert.Equal($"sls: {hf}: its own head has 5 classes (its pre-training task's), but the data has 3; "
            + "give the task's PETL file (--petl), or --allow-class-mismatch to use the backbone's head anyway", LastLine(err2));
        var (code3, _, err3) = CliRunner.Run("eval", "--backbone", hf, "--data", unnamed, "--split", "test", "--device", "cpu",
            "--allow-class-mismatch");
        Assert.True(code3 == 0, err3);

        // the head's own classes, named alike, run
        var (code4, _, err4) = CliRunner.Run("eval", "--backbone", hf, "--data", NamedTask("cat", "dog", "bird", "fish", "frog"), "--split", "test",
            "--device", "cpu");
        Assert.True(code4 == 0, err4);
    }

    [Fact]
    public void An_id2label_that_does_not_match_the_classifier_is_refused()
    {
        string hf = Directory.CreateTempSubdirectory("sls-id2label-").FullName;
        foreach (var f in Directory.GetFiles(CliRunner.Layout("hf_vit"))) File.Copy(f, Path.Combine(hf, Path.GetFileName(f)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(hf, "config.json")))!.AsObject();
        config["id2label"] = new JsonObject { ["0"] = "cat", ["1"] = "dog", ["2"] = "bird" };
        config["label2id"] = new JsonObject { ["cat"] = 0, ["dog"] = 1, ["bird"] = 2 };
        File.WriteAllText(Path.Combine(hf, "config.json"), config.ToJsonString());
        var (code, _, err) = CliRunner.Run("eval", "--backbone", hf, "--data", NamedTask("cat", "dog", "bird"), "--split", "test", "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {hf}: its config's id2label names 3 classes but its classifier head has 5 rows", LastLine(err));
    }
}
