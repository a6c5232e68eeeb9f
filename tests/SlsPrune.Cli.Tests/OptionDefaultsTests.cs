using System.Collections;
using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.FashionMnist;
using SlsPrune.Core.Export;
using SlsPrune.Core.Inspection;

namespace SlsPrune.Cli.Tests;

/// <summary>Every default exists once, on a Core options record (its <c>Defaults</c> instance): each option of every
/// command (the tree <see cref="SlsCli.Build"/> makes, as docs/cli.md is made from) has a property of the same name
/// and type on a record the command reads it into, with the same default; where the command is a batch stage, the
/// manifest key of the same name has the same type and default (<see cref="BatchDefaults"/>). A default changed in
/// one place only fails here.</summary>
public class OptionDefaultsTests
{
    /// <summary>The records each command's options are read into. Every one that has a property of an option's name
    /// must agree with the option (<c>sls eval</c>'s two engines share its options).</summary>
    private static readonly Dictionary<string, Type[]> Records = new()
    {
        ["inspect"] = [typeof(InspectOptions)],
        ["data fashion-mnist"] = [typeof(FashionMnistOptions)],
        ["data split"] = [typeof(SplitOptions), typeof(DataOptions)],
        ["prune"] = [typeof(PruneOptions), typeof(ModelOptions), typeof(DataOptions)],
        ["eval"] = [typeof(EvalOptions), typeof(OnnxEvalOptions), typeof(ModelOptions), typeof(DataOptions)],
        ["export"] = [typeof(ExportOptions), typeof(ModelOptions)],
        ["train"] = [typeof(TrainOptions), typeof(ModelOptions), typeof(DataOptions), typeof(DistillSettings)],
        ["pretrain"] = [typeof(PretrainOptions)],
        ["batch"] = [typeof(BatchOptions)],
        ["report"] = [],
        ["docs cli"] = [],
    };

    /// <summary>Options with no Core setting behind them, each with its reason. Keep this list short: an option that
    /// sets something belongs on a record.</summary>
    private static readonly Dictionary<(string Command, string Option), string> NoCounterpart = new()
    {
        [("*", "--json")] = "how the result is printed (one JSON document or a table), not what is computed",
        [("eval", "--engine")] = "chooses the runner, and with it the record (EvalOptions or OnnxEvalOptions), both walked here",
        [("train", "--index")] = "chooses retraining (Retraining.Run's index), not a setting of the record",
        [("train", "--strategy")] = "a preset of lr and a constant schedule (TrainOptions.DefaultLr, IsConstant); its default is "
            + "TrainOptions.DefaultStrategy, checked below",
        [("train", "--lora-alpha")] = "another way to give --petl-scale (alpha / rank), turned into PetlSettings by PetlSettings.ForTraining",
        [("batch", "--dry-run")] = "chooses BatchRunner.Plan over BatchRunner.Run",
        [("report", "--format")] = "a registry's entry; its default is ReportFormats.Default, checked below",
        [("report", "--out")] = "where the report's text goes (stdout when not given)",
        [("report", "--manifest")] = "which tasks are expected (default: those recorded in the folder)",
        [("docs", "--out")] = "where the reference's text goes (stdout when not given)",
        [("batch", "--log-file")] = "an extra output file, no default: BatchOptions.Outputs carries it, checked with the results folder",
        [("*", "--summary-md")] = "an extra output file, no default: the summary report format written by ReportFormats.WriteFile",
        [("*", "--junit")] = "an extra output file, no default: the junit report format written by ReportFormats.WriteFile",
    };

    /// <summary>Options whose record property has another name, or takes the value in another form, with the form's
    /// conversion from the option's default (null: none needed) and the reason.</summary>
    private static readonly Dictionary<(string Command, string Option),
        (Type Record, string Property, Func<Command, object?, object?>? Convert, string Reason)> Spelled = new()
        {
            [("*", "--model")] = (typeof(ModelOptions), nameof(ModelOptions.ModelName), null, "ModelOptions.Model would read as the model itself"),
            [("*", "--act")] = (typeof(ModelOptions), nameof(ModelOptions.Activation), null, "short on the command line"),
            [("train", "--split")] = (typeof(TrainOptions), nameof(TrainOptions.TrainSplit), null, "the record holds two splits"),
            [("train", "--no-resume")] = (typeof(TrainOptions), nameof(TrainOptions.Resume), (_, v) => !(bool)v!, "a flag turns resuming off"),
            [("train", "--lr")] = (typeof(TrainOptions), nameof(TrainOptions.Lr), (c, _) => TrainOptions.DefaultLr((string?)Default(Find(c,
                "--strategy"))),
            "not given: the strategy's (TrainOptions.DefaultLr of --strategy's default)"),
            [("train", "--teacher")] = (typeof(TrainOptions), nameof(TrainOptions.DistillFrom), null, "the teacher's PETL file"),
            [("train", "--distill")] = (typeof(TrainOptions), nameof(TrainOptions.Distill), (_, v) => (bool)v! ? DistillSettings.Defaults : null,
            "the flag makes DistillSettings"),
            [("train", "--distill-temperature")] =
                (typeof(DistillSettings), nameof(DistillSettings.Temperature), null, "a property of DistillSettings"),
            [("train", "--distill-weight")] = (typeof(DistillSettings), nameof(DistillSettings.Weight), null, "a property of DistillSettings"),
            [("pretrain", "--patch")] = (typeof(PretrainOptions), nameof(PretrainOptions.PatchSize), null, "short on the command line"),
            [("data split", "--test")] = (typeof(SplitOptions), nameof(SplitOptions.Test), (_, v) => (string)v! == SplitOptions.RestOfImages ? null
                : int.Parse((string)v!, CultureInfo.InvariantCulture),
            "a number, or 'rest' for the record's null"),
        };

    /// <summary>The batch stages each command runs, whose settings a manifest gives under the option's name in snake_case.</summary>
    private static readonly Dictionary<string, string[]> Stages = new()
    {
        ["train"] = ["train", "retrain"], ["prune"] = ["prune"], ["eval"] = ["eval"]
    };

    /// <summary>Manifest keys spelled otherwise than the stage's option, or whose default is not the option's, with the
    /// reason and the default they must have.</summary>
    private static readonly Dictionary<(string Command, string Option), (string Key, Func<Command, object?>? Default, string Reason)>
        ManifestSpelled = new()
        {
            [("eval", "--split")] = ("eval_split", null, "the manifest's split is the training and calibration split"),
            [("train", "--distill")] = ("retrain_distill", null, "only retraining distils"),
            [("train", "--lr")] = ("lr", c => TrainOptions.DefaultLr((string?)Default(Find(c, "--strategy"))),
            "not given: the default strategy's, as on the command line"),
            [("*", "--petl-method")] = ("petl_method", _ => BatchDefaults.PetlMethod,
            "the PETL method a batch trains (batch only: sls train requires --petl-method; prune and eval read it from the PETL file)"),
            [("*", "--petl-dim")] = ("petl_dim", _ => PetlSettings.ForTraining(PetlMethods.All[0]).HiddenDim,
            "not given: sls train's (PetlSettings.ForTraining)"),
            [("*", "--petl-scale")] = ("petl_scale", _ => PetlSettings.ForTraining(PetlMethods.All[0]).Scale,
            "not given: sls train's (PetlSettings.ForTraining)"),
        };

    /// <summary>Manifest keys no stage option stands for, with the reason.</summary>
    private static readonly Dictionary<string, string> ManifestOnly = new()
    {
        ["stages"] = "which stages run (the commands themselves on the command line); default BatchManifest.StageNames",
        ["retrain_epochs"] = "the retrain stage's --epochs, a batch default of its own (BatchDefaults.RetrainEpochs)",
        ["method_settings"] = "the prune methods' own settings (alpha, ratio, ...), walked with their options below",
    };

    private static RootCommand Tree() => SlsCli.Build(() => throw new InvalidOperationException("not run"));

    /// <summary>Every command with options, by its path below <c>sls</c>.</summary>
    private static IEnumerable<(string Path, Command Command)> Commands(Command parent, string path = "")
    {
        foreach (var c in parent.Subcommands)
        {
            string p = path.Length == 0 ? c.Name : $"{path} {c.Name}";
            if (c.Options.Any(o => o is not System.CommandLine.Help.HelpOption)) yield return (p, c);
            foreach (var sub in Commands(c, p)) yield return sub;
        }
    }

    private static IEnumerable<Option> Options(Command c) => c.Options.Where(o => o is not System.CommandLine.Help.HelpOption);

    private static Option Find(Command c, string name) => Options(c).Single(o => o.Name == name);

    /// <summary>The prune methods' options (<see cref="MethodOptions"/>), by name.</summary>
    private static readonly IReadOnlySet<string> MethodOptionNames = PruneMethods.All.SelectMany(m => m.Settings).Where(s => !s.Hidden).Select(s =>
        s.Option).ToHashSet();

    /// <summary>The families' own <c>sls pretrain</c> shape options (<see cref="IBackboneFamily.PretrainSettings"/>), by name.</summary>
    private static readonly IReadOnlySet<string> ShapeOptionNames = BackboneFamilies.All.SelectMany(f => f.PretrainSettings).Select(s => s.Option)
        .ToHashSet();

    [Fact]
    public void Every_family_shape_option_of_pretrain_defaults_to_the_family_s_declaration()
    {
        var pretrain = Commands(Tree()).Single(c => c.Path == "pretrain").Command;
        var settings = BackboneFamilies.All.SelectMany(f => f.PretrainSettings).ToList();
        Assert.NotEmpty(settings);
        foreach (var s in settings)
        {
            var o = Find(pretrain, s.Option);
            Assert.Equal(s.DefaultText, Text(Default(o)));
            Assert.Equal(s.IsList ? typeof(string) : typeof(int), Nullable.GetUnderlyingType(o.ValueType) ?? o.ValueType);
        }
    }

    /// <summary>The option's value when it is not given.</summary>
    private static object? Default(Option o) => o.HasDefaultValue ? o.GetDefaultValue() : o.ValueType == typeof(bool) ? false : null;

    private static string Pascal(string option) => string.Concat(option.TrimStart('-').Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

    private static string Snake(string option) => option.TrimStart('-').Replace('-', '_');

    /// <summary>A record's settings at their defaults: its static <c>Defaults</c>.</summary>
    private static object DefaultsOf(Type record) => record.GetField("Defaults", BindingFlags.Public | BindingFlags.Static)?.GetValue(null)
        ?? throw new InvalidOperationException($"{record.Name} has no static Defaults: the one place its defaults are read from");

    /// <summary>Whether the property has no default at all: the record's constructor requires it, and its
    /// <c>Defaults</c> leave it empty (a file or folder the user names).</summary>
    private static bool Required(Type record, string property) =>
        record.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First().GetParameters()
            .Any(p => p.Name == property && !p.HasDefaultValue)
        && string.IsNullOrEmpty(Text(Get(DefaultsOf(record), property)));

    /// <summary>A value as the command line spells it, to compare values of different types: a path's text, an
    /// enum's kebab-case name, a registry entry's name, a list comma-separated, numbers invariant.</summary>
    private static string? Text(object? v) => v switch
    {
        null => null,
        string s => s,
        FileSystemInfo f => f.ToString(),
        bool b => b ? "true" : "false",
        Enum e => JsonNamingPolicy.KebabCaseLower.ConvertName(e.ToString()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable list => string.Join(',', list.Cast<object>().Select(Text)),
        _ when v.GetType().GetProperty("Name")?.GetValue(v) is string name => name,
        _ => v.ToString(),
    };

    /// <summary>Whether an option of type <paramref name="cli"/> can hold a setting of type <paramref name="core"/>.</summary>
    private static bool Fits(Type cli, Type core)
    {
        cli = Nullable.GetUnderlyingType(cli) ?? cli;
        core = Nullable.GetUnderlyingType(core) ?? core;
        if (cli == core) return true;
        if (typeof(FileSystemInfo).IsAssignableFrom(cli)) return core == typeof(string);
        if (cli != typeof(string)) return false;
        return core.IsEnum // by name
            || core.GetProperty("Name")?.PropertyType == typeof(string) // a registry's entry, by name
            || typeof(IEnumerable<int>).IsAssignableFrom(core) || typeof(IEnumerable<double>).IsAssignableFrom(core) // comma-separated
            || core.GetMethods(BindingFlags.Public | BindingFlags.Static).Any(m => m.Name == "Parse" && m.GetParameters()
                .FirstOrDefault()?.ParameterType == typeof(string)); // its own syntax
    }

    private static object? Get(object record, string property) => record.GetType().GetProperty(property)!.GetValue(record);

    [Fact]
    public void Every_option_has_the_name_type_and_default_of_its_Core_setting()
    {
        var problems = new List<string>();
        int checkedOptions = 0;
        foreach (var (path, command) in Commands(Tree()))
        {
            Assert.True(Records.TryGetValue(path, out var records), $"sls {path}: say which Core records its options are read into (Records)");
            foreach (var o in Options(command))
            {
                if (path == "prune" && MethodOptionNames.Contains(o.Name)) continue; // the methods' own, below
                if (path == "pretrain" && ShapeOptionNames.Contains(o.Name)) continue; // the families' own, below
                string at = $"sls {path} {o.Name}";
                if (NoCounterpart.ContainsKey(("*", o.Name)) || NoCounterpart.ContainsKey((path, o.Name))
                    || NoCounterpart.ContainsKey((path.Split(' ')[0], o.Name)))
                    continue;
                var spelled = Spelled.TryGetValue((path, o.Name), out var sp) || Spelled.TryGetValue(("*", o.Name), out sp) ? sp : default;
                var matches = records!.Select(r => (Record: r, Property: r == spelled.Record ? spelled.Property : Pascal(o.Name)))
                    // a property holding another of the records is the link to it, not the option (unless spelled so)
                    .Where(x => x.Record.GetProperty(x.Property) is { } p && (!records!.Contains(p.PropertyType) || x.Record == spelled.Record))
                        .ToList();
                if (matches.Count == 0)
                {
                    problems.Add($"{at}: no property {Pascal(o.Name)} on {string.Join(", ", records!.Select(r => r.Name))}: add it, or list the "
                        + $"option with its reason");
                    continue;
                }
                checkedOptions++;
                var convert = spelled.Record is not null && matches.Any(m => m.Record == spelled.Record) ? spelled.Convert : null;
                object? cliDefault = convert is null ? Default(o) : convert(command, Default(o));
                foreach (var (record, property) in matches)
                {
                    var info = record.GetProperty(property)!;
                    if (convert is null && !Fits(o.ValueType, info.PropertyType))
                        problems.Add($"{at}: takes {o.ValueType.Name}, {record.Name}.{property} is {info.PropertyType.Name}");
                    if (Required(record, property))
                    {
                        if (o.HasDefaultValue) problems.Add($"{at}: has a default ({Text(Default(o))}), {record.Name}.{property} has none");
                        continue;
                    }
                    string? core = Text(Get(DefaultsOf(record), property)), cli = Text(cliDefault);
                    if (core != cli) problems.Add($"{at}: default {cli ?? "none"}, {record.Name}.Defaults.{property} is {core ?? "none"}");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(checkedOptions > 80, $"{checkedOptions} options checked");
    }

    [Fact]
    public void The_options_without_a_setting_take_their_defaults_from_Core()
    {
        var root = Tree();
        Command C(string path) => Commands(root).Single(c => c.Path == path).Command;
        Assert.Equal(TrainOptions.DefaultStrategy, Default(Find(C("train"), "--strategy")));
        Assert.Equal(ReportFormats.Default.Name, Default(Find(C("report"), "--format")));
        // every listed exception still names an option that exists (a removed option leaves no stale entry)
        var all = Commands(root).SelectMany(c => Options(c.Command).Select(o => (c.Path, o.Name))).ToList();
        foreach (var (command, option) in NoCounterpart.Keys.Concat(Spelled.Keys).Concat(ManifestSpelled.Keys))
            Assert.Contains(all, x => (command == "*" || x.Path == command || x.Path.Split(' ')[0] == command) && x.Name == option);
    }

    [Fact]
    public void Every_batch_stage_option_has_the_type_and_default_of_its_manifest_key()
    {
        var keys = typeof(BatchSettings).GetProperties().ToDictionary(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name));
        var defaults = typeof(BatchDefaults).GetMembers(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m is PropertyInfo or FieldInfo).ToDictionary(m => JsonNamingPolicy.SnakeCaseLower.ConvertName(m.Name),
                m => m is PropertyInfo p ? p.GetValue(null) : ((FieldInfo)m).GetValue(null));
        var problems = new List<string>();
        var covered = new HashSet<string>();
        var root = Tree();
        foreach (var (path, command) in Commands(root).Where(c => Stages.ContainsKey(c.Path)))
            foreach (var o in Options(command).Where(o => !(path == "prune" && MethodOptionNames.Contains(o.Name))))
            {
                var (key, expected, _) = ManifestSpelled.TryGetValue((path, o.Name), out var ms) || ManifestSpelled.TryGetValue(("*", o.Name),
                    out ms) ? ms : (Snake(o.Name), null, "");
                if (!keys.TryGetValue(key, out var setting)) continue; // not a manifest setting (a path the task gives, --out, --json, ...)
                covered.Add(key);
                string at = $"sls {path} {o.Name} / manifest '{key}'";
                if (!Fits(o.ValueType, setting.PropertyType)) problems.Add($"{at}: option takes {o.ValueType.Name}, the manifest "
                    + $"{setting.PropertyType.Name}");
                object? cli = expected is not null ? expected(command) : Default(o);
                string? manifest = Text(defaults.GetValueOrDefault(key));
                if (manifest != Text(cli)) problems.Add($"{at}: option's default {Text(cli) ?? "none"}, the manifest's (BatchDefaults) "
                    + $"{manifest ?? "none"}");
            }
        foreach (var key in keys.Keys.Where(k => !covered.Contains(k) && !ManifestOnly.ContainsKey(k)))
            problems.Add($"manifest key '{key}': no option of a stage (train, prune, eval) stands for it; add one or list it with its reason");
        foreach (var key in defaults.Keys.Where(k => !keys.ContainsKey(k)))
            problems.Add($"BatchDefaults.{key}: not a manifest key");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(covered.Count > 20, $"{covered.Count} manifest keys checked");
    }

    [Fact]
    public void Every_method_setting_is_an_option_and_a_manifest_key_with_its_declared_type_and_default()
    {
        var prune = Commands(Tree()).Single(c => c.Path == "prune").Command;
        int n = 0;
        foreach (var method in PruneMethods.All)
        {
            // the record a manifest (or the command line) fills from no settings at all is the declared defaults
            object fresh = method.ReadOptions(new JsonObject(), method.Name);
            foreach (var s in method.Settings)
            {
                string at = $"{method.Name}: {s.Key}";
                var property = fresh.GetType().GetProperties().Single(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == s.Key);
                Assert.True(Text(property.GetValue(fresh)) == Text(s.Default), $"{at}: read from nothing {Text(property.GetValue(fresh))}, "
                    + $"declared {Text(s.Default)}");
                Assert.Contains(s.Key, PruneMethods.SettingNames);
                if (s.Hidden) continue;
                var o = Find(prune, s.Option);
                // no default on the option: methods that share a name may default it differently, so the help names each
                Assert.False(o.HasDefaultValue, $"{at}: the option has a default of its own");
                Assert.True(Fits(o.ValueType, s.Type), $"{at}: the option takes {o.ValueType.Name}, the setting is {s.Type.Name}");
                Assert.Contains(method.Name, o.Description!, StringComparison.Ordinal);
                if (s.DefaultText is { } d) Assert.Contains($"(default {d})", o.Description!, StringComparison.Ordinal);
                n++;
            }
        }
        Assert.True(n > 10, $"{n} method settings checked");
    }
}
