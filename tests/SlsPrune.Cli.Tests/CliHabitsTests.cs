namespace SlsPrune.Cli.Tests;

/// <summary>A mistyped command, option or value: exit 2, one line, and the nearest names of the command tree.</summary>
public class CliHabitsTests
{
    private static string OneLine(string err)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        return lines[0];
    }

    [Theory]
    [InlineData(new[] { "prun" }, "unknown command 'prun'; did you mean 'prune'?")]
    [InlineData(new[] { "insepct", "x" }, "unknown command 'insepct'; did you mean 'inspect'?")]
    [InlineData(new[] { "data", "fashion-mnst" }, "unknown command 'fashion-mnst' of 'sls data'; did you mean 'fashion-mnist'?")]
    [InlineData(new[] { "prune", "--backbon", "x" }, "unknown option '--backbon' for 'sls prune'; did you mean '--backbone'?")]
    [InlineData(new[] { "eval", "--thruput" }, "unknown option '--thruput' for 'sls eval'; did you mean '--throughput'?")]
    [InlineData(new[] { "report", ".", "--verbsoe" }, "unknown option '--verbsoe' for 'sls report'; did you mean '--verbose'?")]
    [InlineData(new[] { "prune", "--method", "bl" }, "'bl' is not a value of --method (one of aglp, bi, cka, depgraph, probe, sls, spa); did you "
        + "mean 'bi'?")]
    public void A_mistyped_word_gets_the_nearest_names(string[] args, string expected)
    {
        var (code, output, err) = CliRunner.Run(args);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("", output);
        string line = OneLine(err);
        Assert.StartsWith($"sls: {expected}", line, StringComparison.Ordinal);
        Assert.EndsWith("(run 'sls --help' for usage)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_word_far_from_every_name_gets_no_guess()
    {
        var (code, _, err) = CliRunner.Run("zzzzzz");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.DoesNotContain("did you mean", OneLine(err), StringComparison.Ordinal);
        Assert.Contains("unknown command 'zzzzzz'", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("prune", "prune", 0)]
    [InlineData("prun", "prune", 1)]
    [InlineData("purne", "prune", 1)]   // a transposition is one edit
    [InlineData("pruen", "prune", 1)]
    [InlineData("", "abc", 3)]
    [InlineData("kitten", "sitting", 3)]
    public void Edit_distance(string a, string b, int d) => Assert.Equal(d, Suggestions.Distance(a, b));

    [Fact]
    public void Nearest_keeps_only_the_closest_and_ties()
    {
        Assert.Equal(["eval"], Suggestions.Nearest("evl", ["eval", "export", "train"]));
        Assert.Equal(["spa", "spl"], Suggestions.Nearest("spx", ["sls", "spa", "spl"]));
        Assert.Empty(Suggestions.Nearest("x", ["inspect", "data"]));
        // a prefix is offered where nothing is within the distance limit
        Assert.Equal(["--throughput-batches"], Suggestions.Nearest("--throughput-b", ["--throughput-batches", "--repeats"]));
    }

    [Fact]
    public void The_troubleshooting_guide_lists_every_exit_code_the_code_returns()
    {
        string readme = File.ReadAllText(Path.Combine(ShippedModelTests.RepoRoot(), "docs", "troubleshooting.md")).ReplaceLineEndings("\n");
        Assert.Contains(ExitCodes.Table(), readme, StringComparison.Ordinal);
        // each code is a distinct constant the CLI returns
        Assert.Equal(ExitCodes.All.Count, ExitCodes.All.Select(e => e.Code).Distinct().Count());
        Assert.Equal([0, 1, 2, 3, 130, 143], ExitCodes.All.Select(e => e.Code));
    }
}
