namespace SlsPrune.Cli.Tests;

/// <summary>Values that do not parse, and JSON that gives a key twice, are one line and exit 2: before, an option with a
/// validator ended in an unhandled .NET exception (exit 134, a stack trace), a type error named a .NET type, and a key
/// given twice was taken silently (an index, its last <c>kept_blocks</c>) or ended in exit 1 (a manifest).</summary>
public class ParseRefusalTests
{
    private static string LastLine(string stderr) => stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];

    [Theory]
    [InlineData(new[] { "data", "split", "{tmp}", "--out", "{tmp}/o", "--train", "99999999999" },
        "sls: '99999999999' is not an integer from -2147483648 to 2147483647 for --train (run 'sls --help' for usage)")]
    [InlineData(new[] { "data", "split", "{tmp}", "--out", "{tmp}/o", "--val", "abc" },
        "sls: 'abc' is not an integer from -2147483648 to 2147483647 for --val (run 'sls --help' for usage)")]
    [InlineData(new[] { "inspect", "{backbone}", "--heads", "x" }, "sls: 'x' is not an integer from -2147483648 to 2147483647 for --heads (run "
        + "'sls --help' for usage)")]
    [InlineData(new[] { "prune", "--backbone", "{backbone}", "--data", "{tmp}", "--perplexity", "abc" },
        "sls: 'abc' is not a number for --perplexity (run 'sls --help' for usage)")]
    [InlineData(new[] { "prune", "--backbone", "{backbone}", "--data", "{tmp}", "--batch-size", "99999999999" },
        "sls: '99999999999' is not an integer from -2147483648 to 2147483647 for --batch-size (run 'sls --help' for usage)")]
    [InlineData(new[] { "train", "--backbone", "{backbone}", "--data", "{tmp}", "--petl-method", "linear", "--epochs", "1e3" },
        "sls: '1e3' is not an integer from -2147483648 to 2147483647 for --epochs (run 'sls --help' for usage)")]
    public void An_option_value_that_does_not_parse_is_one_line_in_words(string[] args, string expected)
    {
        string tmp = Directory.CreateTempSubdirectory("sls-parse-").FullName;
        var (code, stdout, err) = CliRunner.Run(args.Select(a => a.Replace("{tmp}", tmp, StringComparison.Ordinal).Replace("{backbone}",
            CliRunner.Fixture("backbone.safetensors"), StringComparison.Ordinal)).ToArray());
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(expected, err.Trim());
    }

    [Fact]
    public void Json_that_gives_a_key_twice_is_refused_by_the_key()
    {
        string dir = Directory.CreateTempSubdirectory("sls-dupkeys-").FullName;
        string manifest = Path.Combine(dir, "m.json");
        File.WriteAllText(manifest, "{\"backbone\": \"a\", \"backbone\": \"b\", \"tasks\": []}");
        var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", Path.Combine(dir, "out"), "--dry-run");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {manifest}: key 'backbone' appears twice", LastLine(err));

        string task = PruneEvalCommandTests.Task(3, 3), index = Path.Combine(dir, "i.sls.json");
        string[] model = ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl", CliRunner.Fixture("convpass.safetensors"), "--heads",
            "3", "--device", "cpu"];
        Assert.Equal(0, CliRunner.Run([.. (string[])["prune"], .. model, "--data", task, "--method", "bi", "--keep-blocks", "3", "--out", index])
            .Code);
        string text = File.ReadAllText(index);
        File.WriteAllText(index, text.Replace("\"kept_blocks\": [", "\"kept_blocks\": [1],\n  \"kept_blocks\": [", StringComparison.Ordinal));
        var (code2, _, err2) = CliRunner.Run([.. (string[])["eval"], .. model, "--data", task, "--split", "test", "--index", index]);
        Assert.Equal(2, code2);
        Assert.Equal($"sls: {index}: key 'kept_blocks' appears twice", LastLine(err2));
    }
}

/// <summary>System.Text.Json's own wording (its "maximum configured depth") is said in the file's terms.</summary>
public class JsonWordingTests
{
    [Fact]
    public void Nesting_too_deep_is_said_in_the_files_terms()
    {
        string index = Path.Combine(Directory.CreateTempSubdirectory("sls-deep-").FullName, "deep.sls.json");
        File.WriteAllText(index, new string('[', 100) + new string(']', 100));
        var (code, _, err) = CliRunner.Run("eval", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl",
            CliRunner.Fixture("convpass.safetensors"),
            "--heads", "3", "--data", PruneEvalCommandTests.Task(2, 2), "--split", "test", "--index", index);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {index}: not a valid pruning index: not valid JSON at line 1, byte 65: objects and lists nest deeper than 64 levels",
            err.Trim().Split('\n')[^1]);
    }
}

/// <summary>Data split's refusals name the right culprit in words: a system folder as the source (not --out), a file
/// listed twice in one split (not "in split 'all' and in split 'all'"), and a path of absurd length shown by its ends.</summary>
public class DataSplitWordingTests
{
    [Fact]
    public void The_source_a_repeated_row_and_a_long_path_are_named_plainly()
    {
        string dir = Directory.CreateTempSubdirectory("sls-split-words-").FullName;
        var (code, _, err) = CliRunner.Run("data", "split", "/", "--out", Path.Combine(dir, "t"));
        Assert.Equal(2, code);
        Assert.Equal("sls: /: leads to a system folder (/, /proc, /sys or /dev), not data", err.Trim().Split('\n')[^1]);

        string image = Path.Combine(PruneEvalCommandTests.Task(2, 2), "images", "0_0.png"), other = Path.Combine(Path.GetDirectoryName(image)!,
            "1_0.png");
        string csv = Path.Combine(dir, "d.csv");
        File.WriteAllText(csv, $"path,label\n{image},a\n{image},a\n{other},b\n");
        (code, _, err) = CliRunner.Run("data", "split", csv, "--out", Path.Combine(dir, "t"), "--train", "1", "--val", "0");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {image}: is listed twice in split 'all'; a file may be listed once", err.Trim().Split('\n')[^1]);

        // a line longer than a CSV file's lines may be is refused before its path is looked at
        File.WriteAllText(csv, $"path,label\n{new string('x', 100_000)}.png,a\n{other},b\n");
        (code, _, err) = CliRunner.Run("data", "split", csv, "--out", Path.Combine(dir, "t"), "--train", "1", "--val", "0");
        Assert.Equal(2, code);
        Assert.Equal($"sls: {csv}:2: line is longer than 8192 characters; a CSV data file's lines are at most 8192", err.Trim().Split('\n')[^1]);
        File.WriteAllText(csv, $"path,label\n{new string('x', 8_000)}.png,a\n{other},b\n");
        (code, _, err) = CliRunner.Run("data", "split", csv, "--out", Path.Combine(dir, "t"), "--train", "1", "--val", "0");
        Assert.Equal(2, code);
        string line = err.Trim().Split('\n')[^1];
        Assert.True(line.Length < 1000, $"{line.Length} characters");
        Assert.Contains("characters)...", line, StringComparison.Ordinal);
    }
}
