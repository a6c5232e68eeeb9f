using System.Globalization;

namespace SlsPrune.Core.Indexing;

/// <summary>The cost of the model cut after its first <see cref="Blocks"/> blocks: FLOPs per image and parameters,
/// counted analytically (as <c>sls eval</c> prints them), and where latency was measured its median and spread over
/// the repeats (milliseconds per batch).</summary>
/// <remarks><see cref="LatencySpreadMs"/>: the interquartile range of the repeats.</remarks>
public sealed record DepthCost(int Blocks, long Flops, long Params, double? LatencyMs = null, double? LatencySpreadMs = null);

/// <summary>What <c>--budget</c> recorded in an index (<c>budget</c>): the budget as given, its kind and limit, the
/// cost of every depth (computed once, before the method ran), the policy that chose among the depths that fit, the
/// depth it chose, the alpha rule's own depth (where the method has one), and a warning where latency's measurements
/// spread wider than the gap between two depths.</summary>
/// <remarks><see cref="Limit"/>: a fraction of the full model's cost for <c>flops</c> and <c>params</c>, milliseconds
/// for <c>latency</c>, blocks for <c>depth</c>. <see cref="Fits"/>: the deepest cut within the limit (a width method,
/// which keeps every block and narrows them, records the full depth).
/// <see cref="LatencyBatch"/>: the batch latency was measured at (latency only).</remarks>
public sealed record BudgetRecord
{
    public required string Spec { get; init; }

    public required string Kind { get; init; }

    public required double Limit { get; init; }

    public required string Policy { get; init; }

    public required int Chosen { get; init; }

    public required int Fits { get; init; }

    public int? AlphaChoice { get; init; }

    public int? LatencyBatch { get; init; }

    public required IReadOnlyList<DepthCost> Costs { get; init; }

    public string? Warning { get; init; }

    /// <summary>A width method's: the share of heads and MLP units pruned in every block to fit the budget.</summary>
    public double? Ratio { get; init; }

    /// <summary>A width method's: the cost of the narrowed model, counted exactly.</summary>
    public DepthCost? Achieved { get; init; }

    /// <summary>One line for the prune command's output and the reports: the budget, the policy and what it chose.</summary>
    public string Describe()
    {
        var c = Achieved ?? Costs.FirstOrDefault(r => r.Blocks == Chosen);
        string cost = c is null ? "" : $": {Count(c.Flops)} FLOPs ({Share(c.Flops, Costs[^1].Flops)}), {Count(c.Params)} parameters ("
            + $"{Share(c.Params, Costs[^1].Params)})"
            + (c.LatencyMs is double ms ? $", {ms.ToString("0.###", CultureInfo.InvariantCulture)} ms" : "");
        string alpha = AlphaChoice is int a ? $"; the alpha rule alone keeps {a}" : "";
        if (Ratio is double ratio)
            return $"budget {Spec} ({Policy} policy): ratio {ratio.ToString("0.###", CultureInfo.InvariantCulture)} of heads and MLP units pruned "
                + $"in every block{cost}";
        return $"budget {Spec} ({Policy} policy): {Chosen} of {Costs.Count} blocks{cost}; deepest cut within the budget: {Fits}{alpha}";
    }

    private static string Share(long part, long whole) => whole == 0 ? "-" : ((double)part / whole).ToString("P1", CultureInfo.InvariantCulture);

    private static string Count(long n) => n >= 1_000_000_000 ? $"{n / 1e9:0.##} G" : n >= 1_000_000 ? $"{n / 1e6:0.##} M" : n >= 1000
        ? $"{n / 1e3:0.##} k" : n.ToString(CultureInfo.InvariantCulture);

    /// <summary>The record's fields that a crafted file could leave wrong, checked against the index's depth.</summary>
    /// <exception cref="SlsInputException">naming the field.</exception>
    public void Check(string path, int depth)
    {
        void Need(object? value, string field)
        {
            if (value is null) throw new SlsInputException(path, $"field 'budget.{field}' is missing or null");
        }
        Need(Spec, "spec");
        Need(Kind, "kind");
        Need(Policy, "policy");
        Need(Costs, "costs");
        if (Costs.Count != depth || Costs.Select((c, i) => c is not null && c.Blocks == i + 1).Any(ok => !ok))
            throw new SlsInputException(path, $"field 'budget.costs' must list blocks 1..{depth} in order, one cost each");
        if (Costs.Any(c => c.Flops < 0 || c.Params < 0 || c.LatencyMs is < 0 || c.LatencySpreadMs is < 0))
            throw new SlsInputException(path, "field 'budget.costs' has a negative cost");
        if (Achieved is { } a && (a.Flops < 0 || a.Params < 0)) throw new SlsInputException(path, "field 'budget.achieved' has a negative cost");
        if (Ratio is double r && !(r >= 0 && r < 1)) throw new SlsInputException(path, $"field 'budget.ratio' is {r}, not a fraction in [0, 1)");
        if (!(Limit > 0) || double.IsInfinity(Limit)) throw new SlsInputException(path, $"field 'budget.limit' is {Limit}, not a positive number");
        foreach (var (value, field) in new[] { (Chosen, "chosen"), (Fits, "fits"), (AlphaChoice ?? 1, "alpha_choice") })
            if (value < 1 || value > depth) throw new SlsInputException(path, $"field 'budget.{field}' is {value}, not a depth in 1..{depth}");
        if (Chosen > Fits) throw new SlsInputException(path, $"field 'budget.chosen' ({Chosen}) is deeper than the deepest cut within the budget ("
            + $"{Fits})");
    }
}
