using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>What the tool's project hands crossgen when a package or publish is precompiled (ReadyToRun), read from
/// MSBuild's own evaluation of <c>SlsPrune.Cli.csproj</c>: x64 code targets x86-64-v3, so it is VEX-encoded like the JIT's
/// (legacy SSE code after an AVX-512 loop made `sls prune`'s t-SNE 1.7 s instead of 1.3 s on an Intel core,
/// docs/BENCHMARKS.md); other architectures and unprecompiled builds get no x64 instruction set.</summary>
public class PrecompiledCodeTests
{
    [Theory]
    [InlineData("-p:_IsPacking=true", "linux-x64", "true", "--instruction-set:x86-64-v3")]   // scripts/pack_tool.sh
    [InlineData("-p:_IsPublishing=true", "win-x64", "true", "--instruction-set:x86-64-v3")]  // dotnet publish
    [InlineData("-p:_IsPacking=true", "linux-arm64", "true", "")]
    [InlineData("-p:_IsPublishing=true", "osx-arm64", "true", "")]
    [InlineData("-p:Configuration=Release", "linux-x64", "", "")]                            // dotnet build: JIT only
    public void Crossgen_targets_x86_64_v3_only_for_precompiled_x64_code(string mode, string rid, string readyToRun, string extraArgs)
    {
        var properties = Evaluate(mode, $"-p:RuntimeIdentifier={rid}");
        Assert.Equal(readyToRun, properties["PublishReadyToRun"]);
        Assert.Equal(extraArgs, properties["PublishReadyToRunCrossgen2ExtraArgs"]);
    }

    private static Dictionary<string, string> Evaluate(params string[] args)
    {
        string project = Path.Combine(ShippedModelTests.RepoRoot(), "src", "SlsPrune.Cli", "SlsPrune.Cli.csproj");
        var (code, stdout, stderr) = CliProcess.Dotnet(new Dictionary<string, string>(), ["msbuild", project, "-nologo",
            "-getProperty:PublishReadyToRun", "-getProperty:PublishReadyToRunCrossgen2ExtraArgs", .. args]);
        Assert.True(code == 0, $"msbuild exited {code}: {stdout} {stderr}");
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.GetProperty("Properties").EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetString() ?? "");
    }
}
