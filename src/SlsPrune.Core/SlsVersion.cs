using System.Reflection;

namespace SlsPrune.Core;

/// <summary>The tool's version, from one source: <c>Version</c> in Directory.Build.props, which every assembly and the
/// package take. <c>sls --version</c> prints it, and indexes (<c>tool</c>), exports (<c>tool</c>, ONNX producer version)
/// record it.</summary>
public static class SlsVersion
{
    /// <summary>The package version, e.g. <c>0.1.0</c> (the informational version without a commit suffix).</summary>
    public static string Current { get; } = Read();

    /// <summary>What indexes and exports record as the program that wrote them: <c>sls 0.1.0</c>.</summary>
    public static string Tool => $"sls {Current}";

    private static string Read()
    {
        string? v = typeof(SlsVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return string.IsNullOrEmpty(v) ? "0.0.0" : v.Split('+')[0];
    }
}
