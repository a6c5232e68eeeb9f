using System.CommandLine;
using SlsPrune.Core;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Cli.Commands;

/// <summary>The model options every command that loads a model takes (DESIGN.md, "The command line").</summary>
public sealed class ModelOptionSet
{
    public Option<FileSystemInfo> Backbone { get; } = new Option<FileSystemInfo>("--backbone")
    {
        Description = "Pre-trained ViT: a file (.safetensors, .pt/.pth, .npz) or a Hugging Face folder (config.json + weights)", Required =
            true
    }.AcceptExistingOnly();
    public Option<FileInfo> Petl { get; } = new Option<FileInfo>("--petl")
    {
        Description = "PETL weights (adapters + head); not needed for a standalone export (sls export) or a checkpoint with its own head"
    }.AcceptExistingOnly();
    public Option<int?> Heads { get; } = new("--heads") { Description = "Attention heads, where the width is not in the variants table" };
    /// <summary>The one wording of <c>--model</c>; <c>sls eval</c> adds its ONNX file (<see cref="OnnxModelDescription"/>).</summary>
    public const string ModelDescription = "Variant name, for what the tensors do not show: a ViT's head count (vit_base_patch16_224), a Swin's "
        + "input size (swin_t)";

    public const string OnnxModelDescription = ModelDescription + "; with --engine onnxruntime, the exported .onnx file to evaluate";

    public Option<string?> Model { get; } = new("--model") { Description = ModelDescription };
    public Option<int?> ImageSize { get; } = new("--image-size")
    {
        Description = "Input size: a Swin backbone's (its tensors do not show it; "
        + "default: the variant's, else 224); a ViT's position embedding is resampled to it (default: its own size)"
    };
    public Option<string?> Act { get; } = new("--act")
    {
        Description = "A ViT's MLP activation, which checkpoints do not state: gelu or quick_gelu (OpenAI CLIP; default: the layout's, else gelu)"
    };
    public Option<string?> PetlMethod { get; } = new("--petl-method") { Description = PetlMethods.Names + ", where the PETL file does not say" };
    public Option<int?> PetlDim { get; } = new("--petl-dim") { Description = "Adapter hidden dim (checked against the file)" };
    public Option<double?> PetlScale { get; } = new("--petl-scale")
    {
        Description = "Adapter scale s, where the PETL file does not say (reference .pt files)"
    };
    public Option<string> Device { get; } = new("--device")
    {
        Description = "auto, cpu or cuda", DefaultValueFactory = _ => ModelOptions.Defaults.Device
    };
    public Option<int> BatchSize { get; } = new("--batch-size")
    {
        Description = "Images per forward batch", DefaultValueFactory = _ => ModelOptions.Defaults.BatchSize
    };
    public Option<bool> AllowMismatch { get; } = new("--allow-mismatch")
    {
        Description = "Use an index or a PETL file recorded for other files (backbone or PETL SHA-256 differs)"
    };
    public Option<bool> AllowClassMismatch { get; } = new("--allow-class-mismatch")
    {
        Description = "Use a head on data whose classes differ from "
        + "those it was trained on (mapped by index), or the backbone's own head on another task"
    };
    public Option<string> Precision { get; } = new("--precision")
    {
        Description = "Weights and activations: fp32, or bf16 / fp16 (on CUDA)",
        DefaultValueFactory = _ => Precisions.Name(ModelOptions.Defaults.Precision)
    };

    /// <param name="petlFile">whether the command reads a PETL file (<c>--petl</c>); training makes one instead.</param>
    /// <param name="backboneRequired">false where another engine's file may stand in for it (<c>eval --engine onnxruntime</c>).</param>
    public ModelOptionSet(bool petlFile = true, bool backboneRequired = true)
    {
        _petlFile = petlFile;
        Backbone.Required = backboneRequired;
    }

    private readonly bool _petlFile;

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Backbone, Petl, Heads, Model, ImageSize, Act, PetlMethod, PetlDim, PetlScale, Device, BatchSize, Precision,
            AllowMismatch, AllowClassMismatch })
            if (_petlFile || o != Petl) command.Options.Add(o);
        Device.AcceptOnlyFromAmong(DeviceSelector.Choices);
        Precision.AcceptOnlyFromAmong(Precisions.Choices);
        Act.AcceptOnlyFromAmong("gelu", "quick_gelu");
        BatchSize.Validators.Add(r => { if (r.TryParsed<int>(out var parsed) && parsed <= 0) r.AddError("--batch-size must be positive"); });
        Heads.Validators.Add(r => { if (r.TryParsed<int?>(out var parsed) && parsed is int h && h <= 0) r.AddError("--heads must be positive"); });
        ImageSize.Validators.Add(r =>
        {
            if (r.TryParsed<int?>(out var parsed) && parsed is int s
            && s <= 0) r.AddError("--image-size must be positive");
        });
    }

    /// <summary>The options given on the command line (not defaulted) that say how to build a model from a backbone: none
    /// applies to a file that carries its own build (an ONNX file run with ONNX Runtime).</summary>
    public IEnumerable<string> BuildOptionsGiven(ParseResult parse) =>
        new Option[] { Heads, ImageSize, Act, PetlMethod, PetlDim, PetlScale, Device, Precision, AllowMismatch }
            .Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name);

    public ModelOptions Read(ParseResult parse)
    {
        PetlMethod? method = null;
        if (parse.GetValue(PetlMethod) is string m)
            method = PetlMethods.ByName(m) ?? throw new SlsInputException("--petl-method", $"unknown method '{m}' ({PetlMethods.Names})");
        var backbone = parse.GetValue(Backbone) ?? throw new SlsInputException("--backbone", "is required");
        return new ModelOptions(backbone.FullName, _petlFile ? parse.GetValue(Petl)?.FullName : null, parse.GetValue(Heads), parse.GetValue(Model),
            method, parse.GetValue(PetlDim), parse.GetValue(PetlScale), Precision: Precisions.Parse(parse.GetValue(Precision)!),
            Device: parse.GetValue(Device)!, BatchSize: parse.GetValue(BatchSize), AllowMismatch: parse.GetValue(AllowMismatch),
                ImageSize: parse.GetValue(ImageSize), Activation: parse.GetValue(Act))
        {
            AllowClassMismatch = parse.GetValue(AllowClassMismatch),
        };
    }
}
