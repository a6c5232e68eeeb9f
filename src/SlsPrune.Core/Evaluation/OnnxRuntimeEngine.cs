namespace SlsPrune.Core.Evaluation;

/// <summary>An exported ONNX file (<c>--model FILE.onnx</c>) run with ONNX Runtime: <see cref="OnnxEvalRunner"/>. The
/// pruning and the adapters are in the file, so it takes no backbone, PETL file or index.</summary>
public sealed class OnnxRuntimeEngine : IEvalEngine
{
    public string Name => "onnxruntime";

    public string Description => "an exported .onnx file given with --model, run with ONNX Runtime";

    public EvalResult Run(EvalRequest request, CancellationToken cancellationToken = default)
    {
        if (request.Index is not null || request.Petl is not null || request.Model is not null)
            throw new SlsInputException("--engine", "onnxruntime evaluates an exported file (--model FILE.onnx); the pruning and the adapters are "
                + "already in it, so --backbone, --petl and --index do not apply");
        // an option the file's model cannot take answers another question than the one asked
        if (request.BuildOptionsGiven is [var given, ..])
            throw new SlsInputException(given, "does not apply to --engine onnxruntime: the ONNX file carries its own model (its heads, input "
                + "size, adapters and precision), and ONNX Runtime runs it on the CPU");
        string file = request.ModelName ?? throw new SlsInputException("--model", "give the exported .onnx file to evaluate with --engine "
            + "onnxruntime");
        var onnx = new OnnxEvalOptions(Path.GetFullPath(file), request.Data, request.Split, request.BatchSize, request.Throughput, request.Repeats,
            request.ThroughputBatches, request.Plots)
        {
            DataOptions = request.DataOptions, AllowClassMismatch = request.AllowClassMismatch,
        };
        request.Say?.Invoke(Printable.Escape($"{onnx.Split} split of {Path.GetFileName(Path.TrimEndingDirectorySeparator(onnx.Data))} "
            + "with ONNX Runtime"));
        return OnnxEvalRunner.Run(onnx, cancellationToken: cancellationToken);
    }
}
