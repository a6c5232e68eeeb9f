using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// Rule two's "say so on stderr and in the report": a warning that makes a decision doubtful was said only on stderr
/// before, and in <c>sls batch</c> not at all (the prune stage had no progress to say it to); the index, <c>--json</c> and
/// the batch's result said nothing (found by a hostile audit). Now every prune warning goes into the index's
/// <c>warnings</c>, and a batch logs it and puts it in the task's method details. A perplexity so close to the number of
/// calibration images that every neighbourhood is the whole set (32 images at perplexity 30 scored the top layer -0.08,
/// and "nothing is pruned" came out at exit 0) is now warned of.
/// </summary>
public class WarningRecordTests
{
    private static readonly string Backbone = ShippedModel.Backbone, Petl = ShippedModel.Petl, Task = ShippedModel.Task;

    private const string Perplexity = "perplexity 30 asks t-SNE for 91 neighbours of each image, but the calibration has 32 images: every "
        + "neighbourhood is the whole set, and the scores say little; give more images, or --perplexity 10 or less";

    [Fact]
    public void A_perplexity_near_the_calibration_size_is_warned_of_on_stderr_in_the_index_and_in_json()
    {
        string dir = Directory.CreateTempSubdirectory("sls-warnings-").FullName;
        string index = Path.Combine(dir, "i.sls.json");
        var (code, stdout, err) = CliRunner.Run("prune", "--backbone", Backbone, "--petl", Petl, "--data", Task, "--out", index, "--calibration",
            "32", "--device", "cpu", "--json");
        Assert.True(code == 0, err);
        Assert.Contains($"sls: warning: {Perplexity}\n", err.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        var written = JsonNode.Parse(File.ReadAllText(index))!["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        Assert.Equal([Perplexity], written);
        Assert.Equal(written, JsonNode.Parse(stdout)!["index"]!["warnings"]!.AsArray().Select(w => w!.GetValue<string>()));

        // 100 images are enough for 91 neighbours: no warning, and no warnings field
        var (code2, _, err2) = CliRunner.Run("prune", "--backbone", Backbone, "--petl", Petl, "--data", Task, "--out", index, "--calibration",
            "100", "--device", "cpu");
        Assert.True(code2 == 0, err2);
        Assert.DoesNotContain("warning", err2, StringComparison.Ordinal);
        Assert.Null(JsonNode.Parse(File.ReadAllText(index))!["warnings"]);
    }

    [Fact]
    public void A_batch_logs_a_prune_warning_and_puts_it_in_the_tasks_result()
    {
        string dir = Directory.CreateTempSubdirectory("sls-warnings-").FullName;
        string manifest = Path.Combine(dir, "m.json"), results = Path.Combine(dir, "R");
        File.WriteAllText(manifest, JsonSerializer.Serialize(new
        {
            backbone = Backbone,
            defaults = new { stages = new[] { "prune" }, device = "cpu", calibration = 32 },
            tasks = new[] { new { name = "t", data = Task, petl = Petl } },
        }));
        var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", results);
        Assert.True(code == 0, err);
        Assert.Contains($"t: warning: {Perplexity}", err, StringComparison.Ordinal);
        var details = JsonNode.Parse(File.ReadAllText(Path.Combine(results, "results", "t.json")))!["method_details"]!.AsArray()
            .Select(d => d!.GetValue<string>());
        Assert.Contains($"warning: {Perplexity}", details);
    }

    [Fact]
    public void A_backbones_own_head_without_class_names_on_named_classes_is_said_to_be_unchecked()
    {
        // ten named classes, as many as the shipped backbone's Fashion-MNIST head has rows
        string task = Directory.CreateTempSubdirectory("sls-warnings-").FullName;
        var names = Enumerable.Range(0, 10).Select(i => $"digit{i}").ToArray();
        var lines = File.ReadLines(Path.Combine(Task, "train800val200.txt")).Take(20)
            .Select((l, i) => $"{Path.Combine(Task, l.Split(' ')[0])} {i % 10}").ToList();
        File.WriteAllLines(Path.Combine(task, "train800val200.txt"), lines);
        File.WriteAllText(Path.Combine(task, "task.json"), JsonSerializer.Serialize(new { classes = names }));
        var (code, _, err) = CliRunner.Run("eval", "--backbone", Backbone, "--data", task, "--split", "train800val200", "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Contains($"sls: warning: {Backbone}: its own head records no class names, so the data's classes [digit0, digit1, digit2, digit3, "
            + "digit4, digit5, digit6, digit7, ... (10 in all)] are taken as its 10 classes in order, unchecked; give the task's PETL file (--petl) "
            + "for a head trained on them", err, StringComparison.Ordinal);
    }
}
