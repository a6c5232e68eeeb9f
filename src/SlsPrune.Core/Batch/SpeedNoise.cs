namespace SlsPrune.Core.Batch;

/// <summary>
/// Whether a measured speed-up (pruned images/s over full images/s) is one. Two timings of the same model differ by
/// the machine's noise: a task that kept all 8 of 8 blocks showed 1.33x. A speed-up is flagged <c>same FLOPs</c> when
/// the pruned model computes what the full one does (it can only be noise), and <c>within noise</c> when it lies inside
/// the measurements' own band: the larger of the two repeat spreads ((slowest - fastest) / median), either way.
/// </summary>
public static class SpeedNoise
{
    public const string SameFlops = "same FLOPs";
    public const string WithinNoise = "within noise";

    /// <param name="speedUp">pruned over full images/s.</param>
    /// <param name="flopsRatio">pruned over full FLOPs per image (null: unknown).</param>
    /// <param name="spreadFull">the full model's repeat spread (null: not recorded, older results).</param>
    /// <param name="spreadPruned">the pruned model's.</param>
    /// <returns>why it is not a speed-up, or null.</returns>
    public static string? Judge(double speedUp, double? flopsRatio, double? spreadFull, double? spreadPruned)
    {
        if (flopsRatio is double r && Math.Abs(r - 1) < 1e-9) return SameFlops;
        double band = Math.Max(spreadFull ?? 0, spreadPruned ?? 0);
        if (band > 0 && speedUp > 0 && Math.Abs(Math.Log(speedUp)) <= Math.Log(1 + band)) return WithinNoise;
        return null;
    }
}
