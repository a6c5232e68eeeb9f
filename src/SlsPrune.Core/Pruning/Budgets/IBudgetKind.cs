using SlsPrune.Core.Indexing;

namespace SlsPrune.Core.Pruning.Budgets;

/// <summary>One kind of <c>--budget</c> (<c>flops</c>, <c>params</c>, <c>latency</c>, <c>depth</c>): how its limit is
/// written, and what a depth costs in its unit. A new kind is one class and one line in <see cref="BudgetKinds.All"/>.</summary>
public interface IBudgetKind
{
    /// <summary>The key before <c>=</c>.</summary>
    string Name { get; }

    /// <summary>How the limit is written, for help and errors.</summary>
    string Syntax { get; }

    /// <summary>Whether a depth's cost needs latency measured on this machine.</summary>
    bool Measured { get; }

    /// <summary>The limit from the text after <c>=</c>.</summary>
    /// <exception cref="SlsInputException">naming <c>--budget</c>, when it is not a limit of this kind.</exception>
    double ParseLimit(string value);

    /// <summary>The cost of <paramref name="row"/> in the limit's unit (<paramref name="full"/>: the full model's row).</summary>
    double Cost(DepthCost row, DepthCost full);

    /// <summary>A cost (or limit) as the user writes it: <c>0.6</c>, <c>5 ms</c>, <c>3 blocks</c>.</summary>
    string Format(double cost);
}
