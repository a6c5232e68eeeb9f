using System.Text.RegularExpressions;

namespace SlsPrune.Core.Tests;

/// <summary>The line limit of <c>.editorconfig</c> (<c>max_line_length</c> of its C# section) holds for every C# file of
/// the repository; <c>dotnet format --verify-no-changes</c> in <c>.ci/run</c> checks the rest of the style, which does not
/// measure lines.</summary>
public partial class LineLengthTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    /// <summary>The C# section's <c>max_line_length</c>.</summary>
    private static int Limit()
    {
        string? section = null;
        foreach (var line in File.ReadLines(Path.Combine(Root, ".editorconfig")))
        {
            var t = line.Trim();
            if (t.StartsWith('[')) section = t;
            else if (section is not null && section.Contains("cs", StringComparison.Ordinal) && MaxLength().Match(t) is { Success: true } m)
                return int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException(".editorconfig sets no max_line_length for C# files");
    }

    [GeneratedRegex(@"^max_line_length\s*=\s*(\d+)$")]
    private static partial Regex MaxLength();

    private static IEnumerable<string> Sources() =>
        new[] { "src", "tests", "bench", "samples" }.Select(d => Path.Combine(Root, d)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj"));

    [Fact]
    public void Every_line_of_every_C_sharp_file_is_within_the_limit()
    {
        int limit = Limit();
        Assert.InRange(limit, 80, 200);
        var files = Sources().ToList();
        Assert.True(files.Count > 100, $"found only {files.Count} C# files under {Root}");
        var over = files.SelectMany(f => File.ReadLines(f).Select((l, i) => (File: f, Line: i + 1, l.Length)))
            .Where(x => x.Length > limit).Select(x => $"{Path.GetRelativePath(Root, x.File)}:{x.Line} ({x.Length})").ToList();
        Assert.True(over.Count == 0, $"{over.Count} lines over {limit} characters: {string.Join(", ", over.Take(20))}");
    }
}
