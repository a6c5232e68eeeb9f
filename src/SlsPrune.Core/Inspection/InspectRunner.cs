using System.Globalization;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;

namespace SlsPrune.Core.Inspection;

/// <summary>Options of <c>sls inspect</c>.</summary>
public sealed record InspectOptions(string Checkpoint, string? Petl = null, int? Heads = null)
{
    /// <summary>Every setting at its default (the checkpoint empty).</summary>
    public static readonly InspectOptions Defaults = new("");
}

/// <summary>Reads a checkpoint's header-level facts (no tensor data except for the file hash): format, the layout
/// its names are in (the converter), architecture, parameter counts by role and dtype, detected PETL method, SHA-256
/// (of a folder: of its files' manifest).</summary>
public static class InspectRunner
{
    /// <summary><c>sls inspect</c>: the report of <see cref="InspectOptions.Checkpoint"/> and, where
    /// <see cref="InspectOptions.Petl"/> is given (a file or a PEFT LoRA folder, checked against the backbone), of the PETL
    /// file too, with the parameter counts of the two combined (the PETL file's head replacing the backbone's).</summary>
    /// <exception cref="SlsInputException">naming the file: missing, unreadable, not a checkpoint, or a PEFT adapter that
    /// does not fit the backbone.</exception>
    public static InspectReport Run(InspectOptions options)
    {
        var main = Inspect(options.Checkpoint, options.Heads);
        if (options.Petl is null) return new InspectReport(main, null, null);
        var petlSource = CheckpointSource.ResolvePetl(options.Petl);
        var petl = petlSource.IsPeftAdapter ? InspectPeft(petlSource, options.Checkpoint) : Inspect(options.Petl, options.Heads);
        if (!petlSource.IsPeftAdapter && main.Architecture is { } arch)
        {
            using var file = StateDictFile.Open(options.Petl);
            PetlBlocks.Check(file.Shapes, file.Metadata, options.Petl, arch.Depth, indexGiven: null);
        }
        // The PETL file's head replaces the backbone's.
        var combined = new ParameterCounts(main.Parameters.Backbone, main.Parameters.Petl + petl.Parameters.Petl,
            petl.Parameters.Head > 0 ? petl.Parameters.Head : main.Parameters.Head);
        return new InspectReport(main, petl, combined);
    }

    /// <summary>The report of one checkpoint file or folder at <paramref name="path"/>: format, converter, tensors by dtype,
    /// parameter counts, architecture (null where no family recognises it), PETL method, size and SHA-256. Only headers
    /// are read, besides the bytes hashed. <paramref name="heads"/>: the attention heads where the file cannot say (null:
    /// the family's guess).</summary>
    /// <exception cref="SlsInputException">naming <paramref name="path"/> when it is missing or not a checkpoint.</exception>
    public static CheckpointReport Inspect(string path, int? heads)
    {
        using var checkpoint = StateDictFile.Open(path);
        var shapes = checkpoint.Shapes;
        var counts = ParameterCounts.Of(shapes.Select(kv => (kv.Key, kv.Value.Aggregate(1L, (a, b) => a * b))));
        var byType = checkpoint.Tensors.GroupBy(t => TensorDTypes.SafetensorsName(t.DType))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(t => t.ElementCount), StringComparer.Ordinal);

        var arch = BackboneFamilies.Find(shapes)?.Describe(shapes, checkpoint.Hints, heads, path);
        if (arch is not null && checkpoint.Hints.PreprocessingSource is string from) arch = arch with { PreprocessingSource = from };

        PetlReport? petlReport = null;
        var method = PetlMethods.Detect(shapes.Keys);
        if (method != PetlMethods.Linear || (arch is null && shapes.ContainsKey("head.weight")))
        {
            int? dim = method.HiddenDimProbe is var (probe, axis) && shapes.TryGetValue(probe, out var s) ? (int)s[axis] : null;
            double? scale = checkpoint.Metadata.TryGetValue("petl_scale", out var sc) && double.TryParse(sc, NumberStyles.Float,
                CultureInfo.InvariantCulture, out var v) ? v : null;
            int blocks = shapes.Keys.Where(k => !k.StartsWith("head.", StringComparison.Ordinal) && PetlMethods.IsTaskParameter(k))
                .Select(BlockKey.Parse).Where(b => b is not null).Select(b => b!.Value.Block).Distinct().Count();
            int? classes = shapes.TryGetValue("head.weight", out var hw) ? (int)hw[0] : null;
            petlReport = new PetlReport(method.Name, dim, method == PetlMethods.Linear ? null : scale, blocks, classes);
        }

        var source = checkpoint.Source;
        return new CheckpointReport(Path.GetFullPath(path), FormatName(checkpoint.Format), source.Bytes, source.Fingerprint().Sha256,
            checkpoint.Tensors.Count, byType, checkpoint.Metadata, counts, arch, petlReport, checkpoint.Converter.Name,
            source.IsFolder ? Path.GetFullPath(source.WeightsFile) : null, checkpoint.Hints.Labels);
    }

    /// <summary>A PEFT LoRA adapter folder, checked against its backbone as loading checks it: method <c>peft-lora</c>,
    /// the layers adapted and their ranks, the classes of its <c>modules_to_save</c> head.</summary>
    public static CheckpointReport InspectPeft(CheckpointSource folder, string backbonePath)
    {
        using var adapter = PeftAdapter.Open(folder);
        using (var backbone = StateDictFile.Open(backbonePath)) adapter.Bind(backbone.Tensors, backbonePath);
        var ranks = adapter.Pairs.GroupBy(p => p.Slot).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<int>)g.Select(p => p.Rank).Distinct().Order().ToList(), StringComparer.Ordinal);
        var petl = new PetlReport(PeftAdapter.MethodName, adapter.Pairs.Max(p => p.Rank), null, adapter.Pairs.Select(p => p.Block).Distinct().Count(),
            adapter.HeadClasses, ranks.Keys.ToList(), ranks);
        var (lora, head) = adapter.ParameterCount;
        var byType = adapter.Tensors.GroupBy(t => TensorDTypes.SafetensorsName(t.DType)).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(t => t.ElementCount), StringComparer.Ordinal);
        return new CheckpointReport(Path.GetFullPath(folder.Path), FormatName(adapter.Format), adapter.Bytes, folder.Fingerprint().Sha256,
            adapter.Tensors.Count, byType, adapter.Metadata, new ParameterCounts(0, lora, head), null, petl, "peft",
                Path.GetFullPath(adapter.WeightsFile));
    }

    /// <summary>The name a report gives a container format: <c>safetensors</c>, <c>pytorch-zip</c> or <c>npz</c>.</summary>
    public static string FormatName(CheckpointFormat f) => f switch
    {
        CheckpointFormat.Safetensors => "safetensors",
        CheckpointFormat.PyTorchZip => "pytorch-zip",
        CheckpointFormat.NumpyNpz => "npz",
        _ => throw new ArgumentOutOfRangeException(nameof(f)),
    };
}
