namespace SlsPrune.Core.Pruning;

/// <summary>What <c>sls prune --method</c> runs: SLS, or a baseline from the literature.</summary>
public enum PruneMethod
{
    /// <summary>t-SNE + silhouette of every layer's cls token, the alpha rule (the SLS paper).</summary>
    Sls,
    /// <summary>Block influence (1 - cos of a block's input and output tokens).</summary>
    Bi,
    /// <summary>1 - linear CKA of consecutive blocks' cls features.</summary>
    Cka,
    /// <summary>Per-layer ridge linear-probe accuracy.</summary>
    Probe,
    /// <summary>Width pruning of heads and MLP units (DepGraph / Torch-Pruning style).</summary>
    DepGraph,
    /// <summary>Adaptive greedy layer pruning with brief retraining (Ficsor and Berend).</summary>
    Aglp,
    /// <summary>Structured pruning adapters: width pruning of a SPLoRA model by |W + s B A| (Hedegaard et al.).</summary>
    Spa,
}

public static class PruneMethods
{
    public static string Name(PruneMethod m) => m.ToString().ToLowerInvariant();

    public static string Names => string.Join("|", Enum.GetValues<PruneMethod>().Select(Name));

    public static PruneMethod Parse(string name)
    {
        foreach (var m in Enum.GetValues<PruneMethod>())
            if (string.Equals(Name(m), name, StringComparison.OrdinalIgnoreCase)) return m;
        throw new SlsInputException("--method", $"unknown method '{name}' (known: {Names})");
    }
}
