using System.Text;
using System.Text.RegularExpressions;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// The shell blocks of README.md and docs/*.md marked runnable (<c>```sh runnable</c>) are what
/// scripts/run_readme.sh runs; here every <c>sls ...</c> line of them (and <c>dotnet run --project src/SlsPrune.Cli ... -- ...</c>)
/// is parsed by the real command tree, and every repository path they name exists, so help and docs cannot drift.
/// </summary>
public partial class RunnableDocsTests
{
    internal sealed record Command(string File, int Line, string Text, IReadOnlyList<string> Words);

    /// <summary>The commands of every runnable block, continuation lines joined, comments removed.</summary>
    internal static List<Command> RunnableCommands(string root)
    {
        var files = new List<string> { Path.Combine(root, "README.md") };
        files.AddRange(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal));
        var commands = new List<Command>();
        foreach (string file in files)
        {
            string[] lines = File.ReadAllText(file).ReplaceLineEndings("\n").Split('\n');
            bool inBlock = false, runnable = false;
            var pending = new StringBuilder();
            int start = 0;
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i];
                if (line.StartsWith("```", StringComparison.Ordinal))
                {
                    if (inBlock) { inBlock = false; runnable = false; continue; }
                    inBlock = true;
                    runnable = RunnableFence().IsMatch(line);
                    continue;
                }
                if (!inBlock || !runnable) continue;
                if (pending.Length == 0) start = i + 1;
                string trimmed = line.TrimEnd();
                if (trimmed.EndsWith('\\')) { pending.Append(trimmed[..^1]).Append(' '); continue; }
                pending.Append(trimmed);
                string text = pending.ToString();
                pending.Clear();
                var words = ShellWords(text);
                if (words.Count > 0) commands.Add(new Command(Path.GetRelativePath(root, file), start, text, words));
            }
        }
        return commands;
    }

    [GeneratedRegex(@"^```(sh|bash)[ \t]+runnable\b")]
    private static partial Regex RunnableFence();

    /// <summary>POSIX-shell words: quotes, backslashes, and a # at the start of a word begins a comment.</summary>
    internal static List<string> ShellWords(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool any = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) { if (any) { words.Add(word.ToString()); word.Clear(); any = false; } continue; }
            if (c == '#' && !any) break;
            any = true;
            if (c == '\'')
            {
                int j = text.IndexOf('\'', i + 1); Assert.True(j > 0, $"unclosed quote in: {text}"); word.Append(text, i + 1, j - i
                - 1); i = j;
            }
            else if (c == '"')
            {
                int j = text.IndexOf('"', i + 1); Assert.True(j > 0, $"unclosed quote in: {text}"); word.Append(text, i + 1, j - i
                - 1); i = j;
            }
            else if (c == '\\' && i + 1 < text.Length) word.Append(text[++i]);
            else word.Append(c);
        }
        if (any) words.Add(word.ToString());
        return words;
    }

    /// <summary>The arguments <c>sls</c> gets from a line, or null for a line that does not run sls.</summary>
    internal static string[]? SlsArguments(IReadOnlyList<string> words)
    {
        if (words[0] == "sls") return [.. words.Skip(1)];
        if (words.Count > 3 && words[0] == "dotnet" && words[1] == "run" && words.Contains("src/SlsPrune.Cli"))
        {
            int dash = words.ToList().IndexOf("--");
            return dash < 0 ? [] : [.. words.Skip(dash + 1)];
        }
        return null;
    }

    [Fact]
    public void The_readme_has_the_quick_start_and_the_walkthrough_as_runnable_blocks()
    {
        var commands = RunnableCommands(ShippedModelTests.RepoRoot());
        var readme = commands.Where(c => c.File == "README.md").ToList();
        Assert.Contains(readme, c => c.Text == "dotnet test SlsPrune.sln -c Release");
        Assert.Contains(readme, c => c.Text.StartsWith("dotnet run --project src/SlsPrune.Cli -c Release -- prune ", StringComparison.Ordinal));
        var verbs = readme.Select(c => SlsArguments(c.Words)).Where(a => a is { Length: > 0 }).Select(a => a![0]).ToHashSet();
        foreach (string verb in new[] { "inspect", "train", "prune", "eval", "export", "batch", "report" })
            Assert.Contains(verb, verbs);
    }

    [Fact]
    public void Every_runnable_sls_command_parses_and_names_files_that_exist()
    {
        string root = ShippedModelTests.RepoRoot();
        var tree = SlsCli.Build(() => throw new InvalidOperationException("not run"));
        var problems = new List<string>();
        var written = new List<string>();   // what earlier commands of the same file name (outputs they write)
        bool Written(string path) => written.Any(w => path == w || path.StartsWith(w + "/", StringComparison.Ordinal));
        string? lastFile = null;
        int parsed = 0;
        foreach (var c in RunnableCommands(root))
        {
            if (c.File != lastFile) { written.Clear(); lastFile = c.File; }
            var args = SlsArguments(c.Words);
            if (args is null) { written.AddRange(c.Words); continue; }
            // paths into the checkout (models/, scripts/, ...) are checked against it, wherever the test runs
            var resolved = args.Select(a => RepoPath(root, a) ?? a).ToArray();
            foreach (string a in args)
                if (a.Contains('/', StringComparison.Ordinal) && !a.StartsWith('-') && FirstSegmentIsInRepo(root, a) && RepoPath(root, a) is null
                    && !Written(a))
                    problems.Add($"{c.File}:{c.Line}: {a} is not in the repository");
            var parse = tree.Parse(resolved);
            foreach (var e in parse.Errors)
            {
                // an input that an earlier command of the walkthrough writes (demo/index.sls.json) is not there yet
                var m = Regex.Match(e.Message, "does not exist: '([^']+)'");
                if (m.Success && Written(m.Groups[1].Value))
                    continue;
                problems.Add($"{c.File}:{c.Line}: sls {string.Join(' ', args)}: {e.Message}");
            }
            written.AddRange(args);
            parsed++;
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(parsed >= 9, $"{parsed} sls commands in runnable blocks");
    }

    [Fact]
    public void The_script_that_runs_the_blocks_is_there()
    {
        string script = Path.Combine(ShippedModelTests.RepoRoot(), "scripts", "run_readme.sh");
        Assert.True(File.Exists(script));
        Assert.Contains("runnable", File.ReadAllText(script), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sls prune --out a.json # comment", new[] { "sls", "prune", "--out", "a.json" })]
    [InlineData("sls eval --data 'my task' --split \"a b\"", new[] { "sls", "eval", "--data", "my task", "--split", "a b" })]
    [InlineData("sls x a\\ b", new[] { "sls", "x", "a b" })]
    public void Shell_words(string text, string[] expected) => Assert.Equal(expected, ShellWords(text));

    [Fact]
    public void A_comment_line_has_no_words() => Assert.Empty(ShellWords("  # only a comment"));

    private static bool FirstSegmentIsInRepo(string root, string path) =>
        !Path.IsPathRooted(path) && Directory.Exists(Path.Combine(root, path.Split('/')[0]));

    private static string? RepoPath(string root, string path)
    {
        if (Path.IsPathRooted(path) || !FirstSegmentIsInRepo(root, path)) return null;
        string full = Path.Combine(root, path);
        return File.Exists(full) || Directory.Exists(full) ? full : null;
    }
}
