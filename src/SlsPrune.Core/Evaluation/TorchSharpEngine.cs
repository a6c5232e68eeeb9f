namespace SlsPrune.Core.Evaluation;

/// <summary>The model built from its files (backbone, PETL, index) and run with TorchSharp: <see cref="EvalRunner"/>.</summary>
public sealed class TorchSharpEngine : IEvalEngine
{
    public string Name => "torchsharp";

    public string Description => "the backbone with its PETL file and index, run with TorchSharp";

    public EvalResult Run(EvalRequest request, CancellationToken cancellationToken = default)
    {
        var model = request.Model ?? throw new SlsInputException("--backbone", "is required");
        var options = new EvalOptions(model, request.Data, request.Index, request.Split, request.Throughput, model.AllowMismatch, request.Repeats,
            request.ThroughputBatches, request.Plots)
        {
            DataOptions = request.DataOptions, Warn = request.Warn,
        };
        // the split and the folder's name are the user's text: escaped, as every file's text is
        request.Say?.Invoke(Printable.Escape($"{options.Split} split of {Path.GetFileName(Path.TrimEndingDirectorySeparator(options.Data))}"
            + (options.Index is null ? "" : " with the pruning index")));
        return EvalRunner.Run(options, cancellationToken: cancellationToken);
    }
}
