using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// The hostile-input corpus (tests/hostile, made by scripts/make_hostile_corpus.py): every case exits 2 with
/// exactly the expected line last on stderr, prints no stack trace, leaves its output folder as it was (an
/// earlier index there unchanged, nothing added), and runs nothing from the file.
/// </summary>
public class HostileCorpusTests
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "hostile");
    private static readonly string FixturesDir = Path.Combine(AppContext.BaseDirectory, "fixtures");
    private const string Marker = "/tmp/sls-hostile-ran";

    private sealed record Case(string Name, string[] Args, string Message);

    private static Dictionary<string, Case> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "cases.json")));
        return doc.RootElement.EnumerateArray().Select(c => new Case(c.GetProperty("name").GetString()!,
                c.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray(), c.GetProperty("message").GetString()!))
            .ToDictionary(c => c.Name);
    }

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases().Keys) data.Add(name);
        return data;
    }

    [Fact]
    public void The_corpus_has_at_least_30_cases()
    {
        Assert.True(Cases().Count >= 30, $"{Cases().Count} cases");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_case_exits_2_with_its_one_line(string name)
    {
        var c = Cases()[name];
        string output = Directory.CreateTempSubdirectory("sls-hostile-out-").FullName;
        string previous = Path.Combine(output, "index.sls.json"); // an earlier result the failed run must leave alone
        File.WriteAllText(previous, "an earlier index");
        string Expand(string s) => s.Replace("{dir}", Dir, StringComparison.Ordinal).Replace("{out}", output, StringComparison.Ordinal)
            .Replace("{fixtures}", FixturesDir, StringComparison.Ordinal);
        File.Delete(Marker);

        var (code, stdout, stderr) = CliRunner.Run(c.Args.Select(Expand).ToArray());

        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(code == 2, $"exit {code}: {stderr}");
        Assert.NotEmpty(lines);
        Assert.Equal(Expand(c.Message), lines[^1]);
        // progress lines may come first ("sls: features: ..."), but only one line is an error and none is a trace
        Assert.Single(lines, l => l.StartsWith("sls: /", StringComparison.Ordinal) || l.StartsWith("sls: error", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));
        Assert.Equal("", stdout);
        Assert.Equal([previous], Directory.EnumerateFileSystemEntries(output));
        Assert.Equal("an earlier index", File.ReadAllText(previous));
        Assert.False(File.Exists(Marker), "a payload ran");
    }
}
