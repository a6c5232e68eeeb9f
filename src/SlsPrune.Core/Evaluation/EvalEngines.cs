namespace SlsPrune.Core.Evaluation;

/// <summary>The engines of <c>sls eval --engine</c>, the default first.</summary>
public static class EvalEngines
{
    public static readonly IReadOnlyList<IEvalEngine> All =
    [
        new TorchSharpEngine(),
        new OnnxRuntimeEngine(),
    ];

    public static IEvalEngine Default => All[0];

    public static IReadOnlyList<string> Names => All.Select(e => e.Name).ToArray();

    /// <exception cref="SlsInputException">naming <c>--engine</c>, for a name no engine has.</exception>
    public static IEvalEngine ByName(string name) => All.FirstOrDefault(e => e.Name == name)
        ?? throw new SlsInputException("--engine", $"'{Printable.Escape(name)}' is not one of {string.Join(", ", Names)}");
}
