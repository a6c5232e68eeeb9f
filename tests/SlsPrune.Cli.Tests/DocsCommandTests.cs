using System.CommandLine;

namespace SlsPrune.Cli.Tests;

/// <summary><c>sls docs cli</c>: docs/cli.md is what the command tree says, and stays so.</summary>
public class DocsCommandTests
{
    private static string Generated()
    {
        var (code, output, err) = CliRunner.Run("docs", "cli");
        Assert.True(code == 0, err);
        return output;
    }

    [Fact]
    public void The_committed_reference_is_what_the_code_generates()
    {
        string committed = File.ReadAllText(Path.Combine(ShippedModelTests.RepoRoot(), "docs", "cli.md")).ReplaceLineEndings("\n");
        string generated = Generated();
        if (committed == generated) return;
        var a = committed.Split('\n');
        var b = generated.Split('\n');
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i]) i++;
        Assert.Fail($"docs/cli.md differs from what the code generates, first at line {i + 1}:\n  committed: {(i < a.Length ? a[i] : "(end)")}\n  "
            + $"generated: {(i < b.Length ? b[i] : "(end)")}\n"
            + $"Regenerate it: {Output.CliReference.RegenerateCommand}");
    }

    [Fact]
    public void Every_command_and_option_is_in_the_reference_with_its_default_and_allowed_values()
    {
        string doc = Generated();
        var root = SlsCli.Build(() => throw new InvalidOperationException("not run"));
        int options = 0;
        void Walk(Command c, string path)
        {
            foreach (var sub in c.Subcommands)
            {
                string p = $"{path} {sub.Name}";
                Assert.Contains($"\n## {p}\n", doc, StringComparison.Ordinal);
                // the command's section holds a row for each of its options
                int start = doc.IndexOf($"\n## {p}\n", StringComparison.Ordinal);
                int end = doc.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
                string section = end < 0 ? doc[start..] : doc[start..end];
                foreach (var o in sub.Options.Where(o => o is not System.CommandLine.Help.HelpOption))
                {
                    Assert.Contains($"| `{o.Name}`", section, StringComparison.Ordinal);
                    options++;
                }
                Walk(sub, p);
            }
        }
        Walk(root, "sls");
        Assert.True(options > 100, $"{options} options");
        string prune = doc[doc.IndexOf("\n## sls prune\n", StringComparison.Ordinal)..doc.IndexOf("\n## sls eval\n", StringComparison.Ordinal)];
        Assert.Contains("| `--out` | `FILE` | `index.sls.json` |", prune, StringComparison.Ordinal);
        Assert.Contains("| `--precision` | `bf16` \\| `fp16` \\| `fp32` | `fp32` |", prune, StringComparison.Ordinal);
        Assert.Contains("| `--backbone` | `PATH` | required |", prune, StringComparison.Ordinal);
        Assert.Contains("| `--json` | flag |  |", prune, StringComparison.Ordinal);
        Assert.Contains(ExitCodes.Table(), doc, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shared_options_have_one_wording_where_they_mean_the_same()
    {
        var root = SlsCli.Build(() => throw new InvalidOperationException("not run"));
        Command C(string name) => root.Subcommands.Single(c => c.Name == name);
        string D(string command, string option) => C(command).Options.Single(o => o.Name == option).Description!;
        Assert.Equal(D("prune", "--model"), D("train", "--model"));
        Assert.Equal(D("prune", "--model"), D("export", "--model"));
        Assert.StartsWith(D("prune", "--model"), D("eval", "--model"), StringComparison.Ordinal);
        Assert.Contains(".onnx", D("eval", "--model"), StringComparison.Ordinal);
        // export names what each format stores, and refuses bf16 for ONNX as it says
        Assert.Contains("ONNX stores fp32 or fp16", D("export", "--precision"), StringComparison.Ordinal);
        Assert.Contains("YAML", D("batch", "--manifest"), StringComparison.Ordinal);
        foreach (var c in root.Subcommands)
            foreach (var o in c.Options.Where(o => o.Name == "--json"))
                Assert.Equal("Print one JSON document on stdout", o.Description);
    }

    [Fact]
    public void Out_writes_the_same_text_as_stdout()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("sls-docs-").FullName, "cli.md");
        var (code, output, err) = CliRunner.Run("docs", "cli", "--out", file);
        Assert.True(code == 0, err);
        Assert.Equal("", output);
        Assert.Equal(Generated(), File.ReadAllText(file));
    }
}
