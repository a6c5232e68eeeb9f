using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;
using TorchSharp;

namespace SlsPrune.Core.Export;

/// <summary>A standalone checkpoint: the built model's state dict (kept blocks renumbered 0..k-1 at their widths,
/// adapters, or merged into the weights, and head) with timm's names and the export's metadata, PETL settings
/// included, so <c>sls eval --backbone FILE</c> rebuilds the same model with no PETL file and no index.</summary>
public sealed class SafetensorsExport : IExportFormat
{
    public string Name => "safetensors";

    public string Extension => ".safetensors";

    public void Write(BuiltModel model, Precision precision, IReadOnlyDictionary<string, string> metadata, Stream output)
    {
        if (model.Model.StandaloneCheckpointLimit is string limit) throw new NotSupportedException(limit);
        using var scope = torch.NewDisposeScope();
        var state = model.Model.state_dict().ToDictionary(kv => kv.Key, kv => precision == Precision.Fp32 ? kv.Value
            : kv.Value.to(precision.ScalarType()), StringComparer.Ordinal);
        SafetensorsWriter.Write(output, state, metadata);
    }
}
