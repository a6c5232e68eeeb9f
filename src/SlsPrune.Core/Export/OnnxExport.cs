using SlsPrune.Core.Export.Onnx;
using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Core.Export;

/// <summary>ONNX (opset 17): the model's forward pass as the family writes it (<see cref="Backbone.EmitGraph"/>),
/// only the kept blocks, adapters in the graph or merged; input <c>images</c> [batch, channels, size, size] float32
/// (normalised as <c>sls</c> does: the mean and std are in the metadata), output <c>logits</c>; float32 or float16
/// weights.</summary>
public sealed class OnnxExport : IExportFormat
{
    public string Name => "onnx";

    public string Extension => ".onnx";

    public void Check(ExportOptions options)
    {
        if (options.Model.Precision is not (Precision.Fp32 or Precision.Fp16))
            throw new SlsInputException("--precision", $"ONNX export writes fp32 or fp16, not {options.Model.Precision.Name()}");
    }

    public void Write(BuiltModel model, Precision precision, IReadOnlyDictionary<string, string> metadata, Stream output)
    {
        var m = model.Model;
        var graph = new OnnxGraph(m.state_dict(), half: precision == Precision.Fp16);
        var logits = m.EmitGraph(graph, graph.Images(out var input));
        graph.WriteModel(output, input, logits, m.Input.Channels, m.Input.ImageSize, m.NumClasses, metadata, SlsVersion.Current);
    }
}
