namespace SlsPrune.Core.Models.Petl;

/// <summary>Which PETL method a model carries. <see cref="Linear"/> is head-only (linear probe).</summary>
public enum PetlMethod
{
    Linear,
    Convpass,
    RepAdapter,
}

/// <summary>PETL settings: method, hidden (bottleneck) dim, the per-task scale s, and RepAdapter's conv_B groups.</summary>
public sealed record PetlSettings(PetlMethod Method, int HiddenDim = 8, double Scale = 1.0, int Groups = 2)
{
    public static readonly PetlSettings None = new(PetlMethod.Linear);

    public static string Name(PetlMethod m) => m switch
    {
        PetlMethod.Linear => "linear",
        PetlMethod.Convpass => "convpass",
        PetlMethod.RepAdapter => "repadapter",
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

    public static bool TryParse(string name, out PetlMethod method)
    {
        foreach (var m in Enum.GetValues<PetlMethod>())
            if (string.Equals(Name(m), name, StringComparison.OrdinalIgnoreCase)) { method = m; return true; }
        method = default;
        return false;
    }
}
