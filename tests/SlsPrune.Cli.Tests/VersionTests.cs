using System.Text.Json;
using System.Xml.Linq;

namespace SlsPrune.Cli.Tests;

/// <summary>One version everywhere: Directory.Build.props, <c>sls --version</c>, the index and an export.</summary>
public class VersionTests
{
    internal static string PropsVersion()
    {
        var props = XDocument.Load(Path.Combine(ShippedModelTests.RepoRoot(), "Directory.Build.props"));
        return props.Descendants("Version").Single().Value;
    }

    [Fact]
    public void Version_option_prints_the_package_version()
    {
        var (code, output, err) = CliRunner.Run("--version");
        Assert.True(code == 0, err);
        Assert.Equal(PropsVersion() + "\n", output.ReplaceLineEndings("\n"));
        Assert.Equal(PropsVersion(), SlsVersion.Current);
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", SlsVersion.Current);
    }

    [Fact]
    public void Index_and_export_record_the_same_version()
    {
        string task = PruneEvalCommandTests.Task(4, 2);
        string dir = Directory.CreateTempSubdirectory("sls-version-").FullName;
        string index = Path.Combine(dir, "task.sls.json");
        string[] model = ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl", CliRunner.Fixture("convpass.pt"), "--petl-scale", "0.7",
            "--heads", "3", "--device", "cpu"];
        var (code, _, err) = CliRunner.Run(["prune", .. model, "--data", task, "--out", index, "--perplexity", "2"]);
        Assert.True(code == 0, err);
        Assert.Equal($"sls {PropsVersion()}", JsonDocument.Parse(File.ReadAllText(index)).RootElement.GetProperty("tool").GetString());

        string exported = Path.Combine(dir, "model.safetensors");
        (code, _, err) = CliRunner.Run(["export", .. model, "--index", index, "--format", "safetensors", "--out", exported]);
        Assert.True(code == 0, err);
        using var f = File.OpenRead(exported);
        var header = new byte[8];
        f.ReadExactly(header);
        var json = new byte[BitConverter.ToInt64(header)];
        f.ReadExactly(json);
        Assert.Equal($"sls {PropsVersion()}", JsonDocument.Parse(json).RootElement.GetProperty("__metadata__").GetProperty("tool").GetString());
    }
}
