using System.Globalization;
using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>Messages that used to mislead (issue 15): alpha above 1, the bi/cka table's threshold against per-block
/// scores, a pruned model's PETL file without its index, a folder or file where the other is expected.</summary>
public class MisleadingMessageTests
{
    private static string[] Model(string petl) =>
        ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl", petl, "--heads", "3", "--device", "cpu"];

    private static string Last(string err) => err.Trim().Split('\n')[^1].TrimEnd();

    private const string AlphaWarning = "sls: warning: --alpha 3 is above 1: the threshold lies beyond the top layer's own score, so the rule "
        + "stops at the top layer and every block is kept (alpha is a fraction: 0 < alpha <= 1)";

    [Theory]
    [InlineData("sls")]
    [InlineData("bi")]
    public void Alpha_above_1_warns_in_one_line_and_keeps_every_block(string method)
    {
        string task = PruneEvalCommandTests.Task(12, 3);
        string index = Path.Combine(Directory.CreateTempSubdirectory("sls-alpha-").FullName, "index.sls.json");
        var (code, output, err) = CliRunner.Run([.. "prune --method".Split(' '), method, .. Model(CliRunner.Fixture("convpass.safetensors")),
            "--data", task, "--alpha", "3", "--out", index, "--json"]);
        Assert.True(code == 0, err);
        Assert.Single(err.Split('\n'), l => l.TrimEnd() == AlphaWarning);
        Assert.Equal([1, 2, 3], JsonDocument.Parse(output).RootElement.GetProperty("index").GetProperty("kept_blocks").EnumerateArray().Select(e =>
            e.GetInt32()));
        // a budget decides instead of alpha: no warning
        var (code2, _, err2) = CliRunner.Run([.. "prune --method bi".Split(' '), .. Model(CliRunner.Fixture("convpass.safetensors")),
            "--data", task, "--alpha", "3", "--keep-blocks", "2", "--out", index]);
        Assert.Equal(0, code2);
        Assert.DoesNotContain("warning", err2, StringComparison.Ordinal);
    }

    [Fact]
    public void The_bi_table_shows_the_cumulative_importance_its_rule_compares()
    {
        string task = PruneEvalCommandTests.Task(12, 3);
        string index = Path.Combine(Directory.CreateTempSubdirectory("sls-cumulative-").FullName, "index.sls.json");
        var (code, output, err) = CliRunner.Run([.. "prune --method bi".Split(' '), .. Model(CliRunner.Fixture("convpass.safetensors")), "--data",
            task, "--out", index]);
        Assert.True(code == 0, err);
        var ix = JsonDocument.Parse(File.ReadAllText(index)).RootElement;
        double[] scores = ix.GetProperty("bi").GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double threshold = ix.GetProperty("bi").GetProperty("threshold").GetDouble();
        var lines = output.Split('\n');
        const string header = "│ block-influence │ cumulative (compared) │ threshold (on cumulative) │";
        Assert.Contains(lines, l => l.Contains(header, StringComparison.Ordinal));
        double sum = 0;
        for (int l = 1; l <= scores.Length; l++)
        {
            sum += scores[l - 1];
            string[] cells = [l.ToString(CultureInfo.InvariantCulture), scores[l - 1].ToString("F4", CultureInfo.InvariantCulture),
                sum.ToString("F4", CultureInfo.InvariantCulture), threshold.ToString("F4", CultureInfo.InvariantCulture)];
            Assert.Contains(lines, row => row.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Take(4)
                .SequenceEqual(cells));
        }
        // the kept blocks follow from those columns: 1..i+1 for the first layer from the top whose cumulative is below
        var cumulative = scores.Select((_, i) => scores.Take(i + 1).Sum()).ToArray();
        int stop = Enumerable.Range(1, scores.Length).Reverse().FirstOrDefault(i => cumulative[i - 1] < threshold);
        int kept = stop == 0 ? 1 : Math.Min(stop + 1, scores.Length);
        Assert.Equal(kept, ix.GetProperty("kept_blocks").GetArrayLength());
    }

    [Fact]
    public void A_pruned_models_petl_file_without_its_index_asks_for_the_index()
    {
        string dir = Directory.CreateTempSubdirectory("sls-aglp-petl-").FullName;
        // as aglp writes after dropping a block: metadata depth 2 of the backbone's 3
        string petl = EscapeTests.WithMetadata(CliRunner.Fixture("convpass.safetensors"), dir, "depth", "2");
        var (code, _, err) = CliRunner.Run(["eval", .. Model(petl), "--data", PruneEvalCommandTests.Task(4, 3), "--split", "test"]);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {petl}: holds adapters for a pruned model of 2 of the backbone's 3 blocks (its metadata says depth 2; aglp and "
            + $"retraining after pruning write such files): pass the pruning index written with it (--index)", Last(err));
    }

    [Fact]
    public void A_folder_where_a_file_is_expected_and_a_file_given_as_data_say_what_they_are()
    {
        string dir = Directory.CreateTempSubdirectory("sls-kinds-").FullName;
        string task = PruneEvalCommandTests.Task(4, 3);
        var (c1, _, e1) = CliRunner.Run(["eval", .. Model(CliRunner.Fixture("convpass.safetensors")), "--data", task, "--split", "test", "--index",
            dir]);
        Assert.Equal((2, $"sls: {dir}: is a folder; a pruning index file (*.sls.json, as sls prune writes) is expected here"), (c1, Last(e1)));
        var (c2, _, e2) = CliRunner.Run(["eval", .. Model(dir), "--data", task, "--split", "test"]);
        Assert.Equal((2, $"sls: {dir}: is a folder without adapter_config.json; --petl expects a PETL file (.safetensors, as sls train writes) or "
            + $"a PEFT adapter folder"), (c2, Last(e2)));
        var (c3, _, e3) = CliRunner.Run("batch", "--manifest", dir, "--out", Path.Combine(dir, "out"));
        Assert.Equal((2, $"sls: {dir}: is a folder; a batch manifest file (JSON, or YAML ending in .yaml/.yml) is expected here"), (c3, Last(e3)));
        string file = CliRunner.Fixture("convpass.safetensors");
        var (c4, _, e4) = CliRunner.Run(["eval", .. Model(file), "--data", file, "--split", "test"]);
        Assert.Equal(2, c4);
        Assert.StartsWith($"sls: {file}: is a file but not a CSV/TSV list of images; --data expects a task folder, an ImageFolder tree or such a "
            + $"list (vtab: ", Last(e4), StringComparison.Ordinal);
    }
}
