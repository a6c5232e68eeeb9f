using SlsPrune.Core.Models.Graph;

namespace SlsPrune.Core.Models.Petl.Methods;

/// <summary>VPT-deep: each block's own prompt tokens in its token slot (<see cref="VptPrompts"/>); the prompts
/// are tokens every block computes on. Prompts are not scaled.</summary>
public sealed class VptMethod : PetlMethod
{
    public override string Name => "vpt";

    public override bool Detect(IReadOnlyCollection<string> names) => names.Any(n => n.EndsWith(".prompt_embeddings", StringComparison.Ordinal));

    public override (string Key, int Axis)? HiddenDimProbe => ("blocks.0.prompt_embeddings", 1);

    public override bool OwnsParameter(string name) => name.EndsWith(".prompt_embeddings", StringComparison.Ordinal);

    public override bool NeedsScale => false;

    public override TokenSlot Tokens(PetlSettings s, int width, int patchSize, bool firstBlock) => new VptPrompts(s.HiddenDim, width, patchSize,
        firstBlock);

    public override GraphValue EmitTokens(IGraph g, PetlSettings s, BlockShape b, string block, GraphValue x, bool firstBlock) =>
        VptPrompts.Emit(g, block + ".prompt_embeddings", s.HiddenDim, b.Width, x, firstBlock);

    public override long ExtraTokens(PetlSettings s) => s.HiddenDim;
}
