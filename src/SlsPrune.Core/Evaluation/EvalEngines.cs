namespace SlsPrune.Core.Evaluation;

/// <summary>The engines of <c>sls eval --engine</c>, the default first.</summary>
public static class EvalEngines
{
    /// <summary>Every engine, by <see cref="IEvalEngine.Name"/>: TorchSharp (the model built from its files) first, the
    /// default; ONNX Runtime (an exported <c>.onnx</c> file) second.</summary>
    public static readonly IReadOnlyList<IEvalEngine> All = [
        new TorchSharpEngine(),
        new OnnxRuntimeEngine(),
    ];

    /// <summary>The engine used unless <c>--engine</c> names another: the first of <see cref="All"/> (TorchSharp).</summary>
    public static IEvalEngine Default => All[0];

    /// <summary>The engines' names in the order of <see cref="All"/>, as <c>--engine</c> takes them.</summary>
    public static IReadOnlyList<string> Names => All.Select(e => e.Name).ToArray();

    /// <exception cref="SlsInputException">naming <c>--engine</c>, for a name no engine has.</exception>
    public static IEvalEngine ByName(string name) => All.FirstOrDefault(e => e.Name == name)
        ?? throw new SlsInputException("--engine", $"'{Printable.Escape(name)}' is not one of {string.Join(", ", Names)}");
}
