namespace SlsPrune.Core.Models.Petl;

/// <summary>PETL settings: method, hidden dim (the bottleneck; LoRA's rank; VPT's prompt tokens per block), the
/// scale s the module's output is multiplied by (LoRA: alpha / rank; unused by VPT), and RepAdapter's conv_B groups.</summary>
public sealed record PetlSettings(PetlMethod Method, int HiddenDim = 8, double Scale = 1.0, int Groups = 2)
{
    public static readonly PetlSettings None = new(PetlMethods.Linear);

    /// <summary>Every setting at its default (the method: none).</summary>
    public static readonly PetlSettings Defaults = None;

    /// <summary>Settings to train with: the default hidden dim unless given, and the scale s given, or LoRA's alpha /
    /// rank, or the default scale.</summary>
    public static PetlSettings ForTraining(PetlMethod method, int? hiddenDim = null, double? scale = null, double? loraAlpha = null)
    {
        int dim = hiddenDim ?? Defaults.HiddenDim;
        return new PetlSettings(method, dim, loraAlpha is double a ? a / dim : scale ?? Defaults.Scale);
    }
}
