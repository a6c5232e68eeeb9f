namespace SlsPrune.Core.Models;

/// <summary>What every family's untrained shape takes from <c>sls pretrain</c>: the input size, the patch size and the
/// embedding width (a hierarchical family's first stage's); the rest is the family's own <see cref="ShapeSetting"/>s.</summary>
public sealed record PretrainShape(int ImageSize, int PatchSize, int Width);
