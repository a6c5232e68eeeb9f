using SlsPrune.Core.Data;
using SlsPrune.Core.Models;

namespace SlsPrune.Core.Evaluation;

/// <summary>An engine <c>sls eval</c> runs a model with (<c>--engine</c>): its name, its help, and the evaluation of a
/// request, which it first checks for what it cannot use. A new engine is one file and one line in
/// <see cref="EvalEngines.All"/>.</summary>
public interface IEvalEngine
{
    /// <summary>The value of <c>--engine</c> that picks this engine (<c>torchsharp</c>, <c>onnxruntime</c>).</summary>
    string Name { get; }

    /// <summary>One phrase for <c>--engine</c>'s help: what it evaluates.</summary>
    string Description { get; }

    /// <exception cref="SlsInputException">naming the option, when the request gives what this engine cannot use or lacks what it needs.</exception>
    EvalResult Run(EvalRequest request, CancellationToken cancellationToken = default);
}

/// <summary>What <c>sls eval</c> was given, whichever engine runs it: the model as files and settings
/// (<see cref="Model"/>, null without <c>--backbone</c>), or the <c>--model</c> name (an exported file for an engine
/// that runs one), the task and the measurements asked for. <see cref="Say"/> receives the line that says what is
/// evaluated, once the engine has checked the request.</summary>
public sealed record EvalRequest(ModelOptions? Model, string? ModelName, string? Petl, string Data, string? Index = null, string Split =
    SplitNames.Test,
    bool Throughput = false, int Repeats = 5, IReadOnlyList<int>? ThroughputBatches = null, string? Plots = null, int BatchSize = 64,
        bool AllowClassMismatch = false)
{
    /// <summary>How <see cref="Data"/> is read (CSV columns, EXIF orientation, where the layout is said).</summary>
    public DataOptions DataOptions { get; init; } = DataOptions.Defaults;

    /// <summary>Receives one line per thing the user should know that does not stop the run (an assumed input size).</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>The options given that say how to build a model from a backbone (<c>--heads</c>, <c>--image-size</c>, ...),
    /// by name: an engine whose file carries its own model refuses them rather than ignore them.</summary>
    public IReadOnlyList<string> BuildOptionsGiven { get; init; } = [];

    /// <summary>Receives the one line that says what is evaluated (model, task, split), once the engine has accepted the
    /// request; null: nothing is said.</summary>
    public Action<string>? Say { get; init; }
}
