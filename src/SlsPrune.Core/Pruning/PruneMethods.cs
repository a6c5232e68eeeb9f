using SlsPrune.Core.Pruning.Baselines;
using SlsPrune.Core.Pruning.Sls;

namespace SlsPrune.Core.Pruning;

/// <summary>The prune methods: SLS first (the default), then the baselines from the literature. A new method is one
/// file and one line here.</summary>
public static class PruneMethods
{
    public static readonly IReadOnlyList<IPruneMethod> All =
    [
        new SlsMethod(),
        new BlockInfluenceMethod(),
        new CkaMethod(),
        new ProbeMethod(),
        new DepGraphMethod(),
        new AglpMethod(),
        new SpaMethod(),
    ];

    public static IPruneMethod Default => All[0];

    public static string Names => string.Join("|", All.Select(m => m.Name));

    public static IPruneMethod Get(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new SlsInputException("--method", $"unknown method '{name}' (known: {Names})");

    /// <summary>Every setting name some method takes (a manifest may set any of them).</summary>
    public static IReadOnlySet<string> SettingNames => All.SelectMany(m => m.SettingNames).ToHashSet(StringComparer.Ordinal);
}
