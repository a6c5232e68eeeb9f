using System.CommandLine;
using SlsPrune.Core.Models;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls pretrain</c>'s <c>--family</c> and every family's own shape options, made from the family registry's
/// declarations (<see cref="IBackboneFamily.PretrainSettings"/>): a number setting is an integer option, a list setting
/// a comma-separated one. A new family's settings become options with no change here.</summary>
public sealed class ShapeOptionSet
{
    private readonly List<(ShapeSetting Setting, Option Option)> settings = [];

    public Option<string> Family { get; }

    public ShapeOptionSet(string defaultFamily)
    {
        Family = new Option<string>("--family")
        {
            DefaultValueFactory = _ => defaultFamily,
            Description = string.Join(" or ", BackboneFamilies.All.Select(f => f.Name)) + "; each family's shape options: "
                + string.Join("; ", BackboneFamilies.All.Select(f => $"{f.Name} {string.Join(", ", f.PretrainSettings.Select(s => s.Option))}"))
                + " (a hierarchical family's --width is its first stage's)",
        };
        Family.AcceptOnlyFromAmong(BackboneFamilies.All.Select(f => f.Name).ToArray());
        foreach (var s in BackboneFamilies.All.SelectMany(f => f.PretrainSettings))
            settings.Add((s, s.IsList
                ? new Option<string?>(s.Option) { Description = s.Help, DefaultValueFactory = _ => s.DefaultText }
                : new Option<int>(s.Option) { Description = s.Help, DefaultValueFactory = _ => s.Default }));
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Family);
        foreach (var (_, option) in settings) command.Options.Add(option);
    }

    /// <summary>The values given (or defaulted) for every family's settings; the chosen family reads its own.</summary>
    public ShapeValues Read(ParseResult parse)
    {
        var values = ShapeValues.Defaults;
        foreach (var (s, option) in settings)
            values = option switch
            {
                Option<int> number => values.With(s.Option, parse.GetValue(number)),
                Option<string?> list when parse.GetValue(list) is { } text => values.With(s.Option, ShapeValues.ParseList(text, s.Option)),
                _ => values,
            };
        return values;
    }
}
