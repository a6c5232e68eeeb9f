namespace SlsPrune.Core.Models.Petl;

/// <summary>Which PETL method a model carries. <see cref="Linear"/> is head-only (linear probe); <see cref="SpLora"/>
/// is LoRA on every frozen linear layer of the blocks (qkv, proj, fc1, fc2), the structured pruning adapter of
/// Hedegaard et al.</summary>
public enum PetlMethod
{
    Linear,
    Convpass,
    RepAdapter,
    Lora,
    AdaptFormer,
    Vpt,
    SpLora,
}

/// <summary>PETL settings: method, hidden dim (the bottleneck; LoRA's rank; VPT's prompt tokens per block), the
/// scale s the module's output is multiplied by (LoRA: alpha / rank; unused by VPT), and RepAdapter's conv_B groups.</summary>
public sealed record PetlSettings(PetlMethod Method, int HiddenDim = 8, double Scale = 1.0, int Groups = 2)
{
    public static readonly PetlSettings None = new(PetlMethod.Linear);

    public static string Name(PetlMethod m) => m switch
    {
        PetlMethod.Linear => "linear",
        PetlMethod.Convpass => "convpass",
        PetlMethod.RepAdapter => "repadapter",
        PetlMethod.Lora => "lora",
        PetlMethod.AdaptFormer => "adaptformer",
        PetlMethod.Vpt => "vpt",
        PetlMethod.SpLora => "splora",
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

    public static bool TryParse(string name, out PetlMethod method)
    {
        foreach (var m in Enum.GetValues<PetlMethod>())
            if (string.Equals(Name(m), name, StringComparison.OrdinalIgnoreCase)) { method = m; return true; }
        method = default;
        return false;
    }

    /// <summary>All method names, for help texts and errors.</summary>
    public static string Names => string.Join(", ", Enum.GetValues<PetlMethod>().Select(Name));

    /// <summary>Whether a state-dict entry belongs to the task (PETL modules and the head) rather than the
    /// shared backbone: what training updates and what a PETL file holds.</summary>
    public static bool IsPetlParameter(string name) =>
        name.StartsWith("head.", StringComparison.Ordinal) || name.Contains(".adapter_", StringComparison.Ordinal)
        || name.Contains(".lora_", StringComparison.Ordinal) || name.EndsWith(".prompt_embeddings", StringComparison.Ordinal);

    /// <summary>The tensor whose shape gives the hidden dim, and the axis it is on.</summary>
    public static (string Key, int Axis)? HiddenDimProbe(PetlMethod m) => m switch
    {
        PetlMethod.Convpass => ("blocks.0.adapter_attn.adapter_down.weight", 0),
        PetlMethod.RepAdapter => ("blocks.0.adapter_attn.conv_A.weight", 0),
        PetlMethod.Lora => ("blocks.0.attn.qkv.lora_A.weight", 0),
        PetlMethod.AdaptFormer => ("blocks.0.adapter_mlp.down_proj.weight", 0),
        PetlMethod.Vpt => ("blocks.0.prompt_embeddings", 1),
        PetlMethod.SpLora => ("blocks.0.mlp.fc1.lora_A.weight", 0),
        _ => null,
    };
}
