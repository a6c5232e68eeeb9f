namespace SlsPrune.Cli.Tests;

/// <summary>Runs <c>sls</c> in-process with captured stdout and stderr.</summary>
internal static class CliRunner
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "parity", name);

    /// <summary>A checkpoint in another library's layout (scripts/make_layout_fixtures.py).</summary>
    public static string Layout(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "layouts", name);

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = SlsCli.RunAsync(args, o, e).GetAwaiter().GetResult();
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>The last non-empty line of <paramref name="stderr"/>: a refusal's one line.</summary>
    public static string LastLine(string stderr) => stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];

    /// <summary>The first <paramref name="bytes"/> bytes of a fixture, in a fresh temporary folder.</summary>
    public static string Truncated(string name, int bytes)
    {
        var dir = Directory.CreateTempSubdirectory("sls-cli-").FullName;
        string p = Path.Combine(dir, name);
        File.WriteAllBytes(p, File.ReadAllBytes(Fixture(name))[..bytes]);
        return p;
    }
}
