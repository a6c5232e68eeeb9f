namespace SlsPrune.Core.Pruning;

/// <summary>Declares a prune method's setting on its options record: the help text (the default comes from the
/// record's initialiser, the type from the property, the name from the property in snake_case). The command line's
/// options of <c>sls prune</c>, a manifest's keys and the help all read these declarations
/// (<see cref="MethodSettings.Describe"/>).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true)]
public sealed class SettingAttribute(string help) : Attribute
{
    /// <summary>The help text of the setting, one phrase (shown after the option in <c>sls prune --help</c> and in the docs).</summary>
    public string Help { get; } = help;

    /// <summary>A file or folder: made absolute from where it is given (the working folder on the command line, the
    /// manifest's folder in a manifest).</summary>
    public bool IsPath { get; init; }

    /// <summary>Not an option of its own: set through another option's syntax (SLS's <c>alphas</c> through a list given
    /// to <c>--alpha</c>).</summary>
    public bool Hidden { get; init; }

    /// <summary>The option takes a comma-separated list too: its first value is this setting, the whole list (when
    /// longer than one) the setting named here (SLS's <c>--alpha 0.1,0.3,0.5</c> into <c>alphas</c>).</summary>
    public string? ListInto { get; init; }
}

/// <summary>One declared setting: its snake_case key, its type, its default (null: none), its help, whether it is a
/// path, and the values an enum takes.</summary>
public sealed record SettingInfo(string Key, Type Type, object? Default, string Help, bool IsPath, bool Hidden, IReadOnlyList<string>? Choices)
{
    /// <summary><see cref="SettingAttribute.ListInto"/>.</summary>
    public string? ListInto { get; init; }

    /// <summary>The command-line option: <c>--</c> and the key in kebab case.</summary>
    public string Option => "--" + Key.Replace('_', '-');

    /// <summary>The default as the command line and a manifest spell it (enums in kebab case), or null.</summary>
    public string? DefaultText => Default switch
    {
        null => null,
        Enum e => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(e.ToString()),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        var d => d.ToString(),
    };
}
