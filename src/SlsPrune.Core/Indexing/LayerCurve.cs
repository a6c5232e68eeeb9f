namespace SlsPrune.Core.Indexing;

/// <summary>A method's score of every layer 1..depth, as a figure or a batch result carries it: the threshold the
/// decision compared with (null: none, or the guard applied), the alpha that set it (null where the method has no
/// alpha or it did not decide), and optionally each score's standard deviation and the top-1 (0..1) of the model
/// cut after each layer.</summary>
public sealed record LayerCurve(IReadOnlyList<double> Scores, double? Threshold, double? Alpha,
    IReadOnlyList<double>? Std = null, IReadOnlyList<double>? Top1ByDepth = null);
