using SlsPrune.Core.Indexing;
using SlsPrune.Core.Pruning.Baselines;
using SlsPrune.Core.Pruning.Sls;

namespace SlsPrune.Core.Pruning;

/// <summary>The prune methods: SLS first (the default), then the baselines from the literature. A new method is one
/// file and one line here.</summary>
public static class PruneMethods
{
    /// <summary>The methods: those built in, then any a caller registered (<see cref="Register"/>).</summary>
    public static IReadOnlyList<IPruneMethod> All => Extra.Value is { } extra ? [.. BuiltIn, .. extra] : BuiltIn;

    /// <summary>Adds a method defined outside this library (a plug-in, a test's) for the calling flow of execution until the
    /// returned handle is disposed: its settings become options of <c>sls prune</c> built in that flow, manifest keys, and
    /// its name a <c>--method</c>.</summary>
    public static IDisposable Register(IPruneMethod method)
    {
        if (BuiltIn.Concat(Extra.Value ?? []).Any(m => string.Equals(m.Name, method.Name, StringComparison.OrdinalIgnoreCase)))
            throw new ArgumentException($"a prune method named '{method.Name}' exists", nameof(method));
        if (PruningIndex.CommonFieldNames.Contains(method.Name))
            throw new ArgumentException($"'{method.Name}' is a field every index has; a method's section is written under its name", nameof(method));
        var before = Extra.Value;
        Extra.Value = [.. before ?? [], method];
        return new Registration(() => Extra.Value = before);
    }

    private static readonly AsyncLocal<IReadOnlyList<IPruneMethod>?> Extra = new();

    private sealed class Registration(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    private static readonly IReadOnlyList<IPruneMethod> BuiltIn = [
        new SlsMethod(),
        new BlockInfluenceMethod(),
        new CkaMethod(),
        new ProbeMethod(),
        new DepGraphMethod(),
        new AglpMethod(),
        new SpaMethod(),
    ];

    /// <summary>The method used unless <c>--method</c> or a manifest names another: SLS, the first of <see cref="All"/>.</summary>
    public static IPruneMethod Default => All[0];

    /// <summary>The methods' names joined by <c>|</c> in the order of <see cref="All"/>, as help texts and errors show them.</summary>
    public static string Names => string.Join("|", All.Select(m => m.Name));

    /// <summary>The method named <paramref name="name"/> (any case), registered or built in.</summary>
    /// <exception cref="SlsInputException">naming <c>--method</c> and the methods known, for a name no method has.</exception>
    public static IPruneMethod Get(string name) => Find(name) ?? throw new SlsInputException("--method", $"unknown method '{name}' (known: {Names})");

    /// <summary>The method of this name, or null.</summary>
    public static IPruneMethod? Find(string name) => All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Lets an index read anywhere find its method's section format here (<see cref="IndexSections"/>: the
    /// index folder is below this one and cannot name the registry).</summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "the registry hands the index reader its section formats "
        + "once, before any index is read")]
    internal static void ResolveSections() => IndexSections.Resolver = name => Find(name)?.Section;

    /// <summary>Every setting name some method takes (a manifest may set any of them).</summary>
    public static IReadOnlySet<string> SettingNames => All.SelectMany(m => m.SettingNames).ToHashSet(StringComparer.Ordinal);

    /// <summary>The methods that take the setting <paramref name="key"/>, by name, comma-separated (for a refusal that says
    /// whose setting it is).</summary>
    public static string WithSetting(string key) => string.Join(", ", All.Where(m => m.SettingNames.Contains(key)).Select(m => m.Name));

    /// <summary>Whether a setting of some method names a file or folder (made absolute where it is given).</summary>
    public static bool IsPath(string key) => All.SelectMany(m => m.Settings).Any(s => s.Key == key && s.IsPath);
}
