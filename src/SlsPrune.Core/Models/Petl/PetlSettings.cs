namespace SlsPrune.Core.Models.Petl;

/// <summary>PETL settings: method, hidden dim (the bottleneck; LoRA's rank; VPT's prompt tokens per block), the
/// scale s the module's output is multiplied by (LoRA: alpha / rank; unused by VPT), and RepAdapter's conv_B groups.</summary>
public sealed record PetlSettings(PetlMethod Method, int HiddenDim = 8, double Scale = 1.0, int Groups = 2)
{
    public static readonly PetlSettings None = new(PetlMethods.Linear);

    /// <summary>Every setting at its default (the method: none).</summary>
    public static readonly PetlSettings Defaults = None;

    /// <summary>The largest hidden dim trained (a manifest's <c>petl_dim</c> and <c>--petl-dim</c>); the modules' parameters
    /// are bounded as well, by <see cref="ActivationBudget.CheckTraining"/>.</summary>
    public const int MaxHiddenDim = 1 << 16;

    /// <summary>Settings to train with: the default hidden dim unless given, and the scale s given, or LoRA's alpha /
    /// rank, or the default scale.</summary>
    /// <exception cref="SlsInputException">naming <c>--petl-dim</c> outside 1..<see cref="MaxHiddenDim"/>, or a
    /// <c>--petl-scale</c> or <c>--lora-alpha</c> that is not a finite number.</exception>
    public static PetlSettings ForTraining(PetlMethod method, int? hiddenDim = null, double? scale = null, double? loraAlpha = null)
    {
        int dim = hiddenDim ?? Defaults.HiddenDim;
        if (dim < 1 || dim > MaxHiddenDim) throw new SlsInputException("--petl-dim", $"must be within 1..{MaxHiddenDim} (got {dim})");
        if (scale is double sc) Hyperparameter.Check("--petl-scale", sc);
        if (loraAlpha is double al) Hyperparameter.Check("--lora-alpha", al);
        return new PetlSettings(method, dim, loraAlpha is double a ? a / dim : scale ?? Defaults.Scale);
    }
}
