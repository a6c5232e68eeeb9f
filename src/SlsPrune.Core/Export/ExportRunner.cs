using System.Globalization;
using System.Text.Json;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.IO;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Core.Export;

/// <summary>
/// <c>sls export</c>: builds the (pruned) model once through <see cref="ModelFactory"/> on the CPU in float32, with
/// adapters merged where asked and exact, and writes it in one format atomically (nothing is left behind on
/// failure). The metadata says what the file is: family, blocks kept (1-based numbers of the source), widths,
/// input size, mean and std, classes, PETL settings and the SHA-256 of every source file.
/// </summary>
public static class ExportRunner
{
    /// <summary>The value of the <c>format</c> entry of every export's metadata; it changes when the metadata's meaning does.</summary>
    public const string FormatVersion = "sls-export/1";

    /// <summary>Builds the model <paramref name="o"/> describes (pruned by its index, if any) and writes it to
    /// <see cref="ExportOptions.Out"/> in <see cref="ExportOptions.Format"/>, atomically.</summary>
    /// <exception cref="SlsInputException">naming the option or file at fault: an unknown format, options the format cannot
    /// honour, an output path that is one of the inputs, or a checkpoint, PETL file or index that cannot be read or does
    /// not match.</exception>
    /// <exception cref="OperationCanceledException">when <paramref name="cancellationToken"/> is cancelled; no file is left behind.</exception>
    public static ExportResult Run(ExportOptions o, CancellationToken cancellationToken = default)
    {
        var format = ExportFormats.Get(o.Format);
        format.Check(o);
        OutputPath.CheckFile(o.Out, "--out", o.Model.Backbone, o.Model.Petl, o.Index);

        var index = o.Index is null ? null : PruningIndex.Load(o.Index);
        index?.RequirePetl(o.Index!, o.Model.Petl, o.AllowMismatch);
        using var built = ModelFactory.Build(o.Model with { Precision = Precision.Fp32, Device = "cpu" }, null, index?.ToPlan(), o.Index,
            index?.Fingerprints(o.Index!, o.AllowMismatch));
        if (o.Model.Merge && !built.Merged && built.Petl.Method != PetlMethods.Linear)
            throw new SlsInputException("--merge", $"{built.Petl.Method.Name} adapters do not fold exactly into the backbone; export without "
                + $"--merge to keep them as modules");
        cancellationToken.ThrowIfCancellationRequested();
        return Write(built, format, o.Out, o.Model.Precision, o.Index, index?.Method, index?.ClassNames ?? built.ClassNames, cancellationToken);
    }

    /// <summary>Writes an already built model (float32, CPU) in <paramref name="format"/>, atomically.</summary>
    /// <param name="indexPath">the index the model's plan came from, hashed into the metadata.</param>
    public static ExportResult Write(BuiltModel built, IExportFormat format, string outPath, Precision precision = Precision.Fp32,
        string? indexPath = null, string? indexMethod = null, IReadOnlyList<string>? classNames = null, CancellationToken cancellationToken = default)
    {
        var metadata = Metadata(built, precision, indexPath, indexMethod, classNames);
        try
        {
            AtomicFile.Write(outPath, s =>
            {
                format.Write(built, precision, metadata, s);
                cancellationToken.ThrowIfCancellationRequested();
            });
        }
        catch (NotSupportedException e)
        {
            throw new SlsInputException("--format", $"{format.Name}: {e.Message}");
        }
        var m = built.Model;
        return new ExportResult(format.Name, Path.GetFullPath(outPath), new FileInfo(outPath).Length, FileHash.Sha256(outPath), m.Family, m.Depth,
            built.FullDepth,
            built.Plan.Blocks.Select(b => b + 1).ToArray(), built.Petl.Method.Name, built.Merged, precision.Name(), m.NumClasses);
    }

    private static Dictionary<string, string> Metadata(BuiltModel built, Precision precision, string? indexPath, string? indexMethod,
        IReadOnlyList<string>? classNames)
    {
        var m = built.Model;
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = FormatVersion,
            ["tool"] = SlsVersion.Tool,
            ["family"] = m.Family,
            ["blocks"] = m.Depth.ToString(CultureInfo.InvariantCulture),
            ["source_depth"] = built.FullDepth.ToString(CultureInfo.InvariantCulture),
            ["kept_blocks"] = string.Join(",", built.Plan.Blocks.Select(b => (b + 1).ToString(CultureInfo.InvariantCulture))),
            ["image_size"] = m.Input.ImageSize.ToString(CultureInfo.InvariantCulture),
            ["image_size_from"] = built.InputOrigin?.From ?? InputSizeOrigin.Checkpoint,
            ["channels"] = m.Input.Channels.ToString(CultureInfo.InvariantCulture),
            ["mean"] = string.Join(",", m.Input.Mean.Select(v => F(v))),
            ["std"] = string.Join(",", m.Input.Std.Select(v => F(v))),
            ["classes"] = m.NumClasses.ToString(CultureInfo.InvariantCulture),
            ["feature"] = m.FeatureKind,
            ["precision"] = precision.Name(),
            ["merged"] = built.Merged ? "true" : "false",
            ["backbone_sha256"] = built.BackboneFile.Sha256,
            ["flops"] = m.FlopsPerImage().ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in m.ExportMetadata()) meta[k] = v;
        var counts = ParameterCounts.Of(m);
        meta["parameters_backbone"] = counts.Backbone.ToString(CultureInfo.InvariantCulture);
        meta["parameters_petl"] = counts.Petl.ToString(CultureInfo.InvariantCulture);
        meta["parameters_head"] = counts.Head.ToString(CultureInfo.InvariantCulture);
        if (built.Plan.Widths is { Count: > 0 } widths)
            meta["widths"] = JsonSerializer.Serialize(widths.OrderBy(kv => kv.Key).ToDictionary(kv => (kv.Key
                + 1).ToString(CultureInfo.InvariantCulture),
                kv => new { heads = kv.Value.Heads.Count, mlp_units = kv.Value.MlpUnits.Count, head_dims = kv.Value.HeadDims?.Count }));
        if (built.PetlFile is { } petl) meta["petl_sha256"] = petl.Sha256;
        if (indexPath is not null) meta["index_sha256"] = FileHash.Sha256(indexPath);
        if (indexMethod is not null) meta["index_method"] = indexMethod;
        // the task's class names where the index carries them (the calibration data's folder names, CSV labels, task.json)
        if (classNames is { Count: > 0 } && classNames.Count == m.NumClasses) meta["class_names"] = JsonSerializer.Serialize(classNames);
        // what rebuilds the adapters the file still holds (a merged model holds none)
        var s = built.Merged ? PetlSettings.None : built.Petl;
        if (s.Method != PetlMethods.Linear)
        {
            meta["petl_method"] = s.Method.Name;
            meta["petl_dim"] = s.HiddenDim.ToString(CultureInfo.InvariantCulture);
            meta["petl_scale"] = F(s.Scale);
            meta["petl_groups"] = s.Groups.ToString(CultureInfo.InvariantCulture);
        }
        return meta;
    }
}
