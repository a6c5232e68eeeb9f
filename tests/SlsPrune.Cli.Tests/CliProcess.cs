using System.Diagnostics;

namespace SlsPrune.Cli.Tests;

/// <summary>The real <c>sls</c> process (the built <c>sls.dll</c>), for what only a whole process shows: how it exits, and
/// what it sets for itself before the command runs.</summary>
internal static class CliProcess
{
    /// <summary>Runs <c>sls</c> with <paramref name="args"/> and the environment variable <paramref name="variable"/> set to
    /// <paramref name="value"/>; its exit code, standard output and standard error.</summary>
    public static (int Code, string Out, string Err) Run(string variable, string value, params string[] args) =>
        Run(new Dictionary<string, string> { [variable] = value }, args);

    /// <summary>Runs <c>sls</c> with <paramref name="args"/> and the variables of <paramref name="environment"/> set.</summary>
    public static (int Code, string Out, string Err) Run(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Dotnet(environment, [Path.Combine(AppContext.BaseDirectory, "sls.dll"), .. args]);

    /// <summary>Runs the <c>dotnet</c> host the tests run on with <paramref name="args"/> and the variables of
    /// <paramref name="environment"/> set; its exit code, standard output and standard error.</summary>
    public static (int Code, string Out, string Err) Dotnet(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (variable, value) in environment) psi.Environment[variable] = value;
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "did not finish within two minutes");
        return (p.ExitCode, stdout.Result, stderr);
    }

    /// <summary>A prune of the test fixture's model on <paramref name="task"/>, every layer scored, with --json (the
    /// caller adds --out).</summary>
    public static string[] FixturePrune(string task) => ["prune", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl",
        CliRunner.Fixture("convpass.pt"), "--petl-scale", "0.7", "--heads", "3", "--data", task, "--device", "cpu", "--scoring", "all", "--json"];
}
