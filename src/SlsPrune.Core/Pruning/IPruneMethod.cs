using System.Text.Json;
using System.Text.Json.Nodes;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Pruning;

/// <summary>What a prune method produced besides its index: a new PETL file (aglp retrains the adapters, spa masks
/// them), saved features and plots.</summary>
/// <remarks><see cref="More"/>: further indexes from the same run (SLS with several alphas), each with the path to write it to.</remarks>
public sealed record MethodOutput(PruningIndex Index, string? PetlPath = null, string? FeaturesPath = null, IReadOnlyList<string>? Plots = null,
    IReadOnlyList<(string Path, PruningIndex Index)>? More = null);

/// <summary>
/// A pruning method: its name, its options (a typed record with its own defaults, read from the command line's
/// or a batch manifest's settings by the same JSON rules), what it does with a <see cref="PruneContext"/>, and its own
/// section of the index (<see cref="Section"/>). A new method is one file (method, options, section) and one line in
/// <see cref="PruneMethods.All"/>.
/// </summary>
public interface IPruneMethod
{
    /// <summary>The name after <c>--method</c> and in manifests and indexes.</summary>
    string Name { get; }

    /// <summary>One line for help texts.</summary>
    string Description { get; }

    /// <summary>The snake_case setting names the options record takes.</summary>
    IReadOnlyCollection<string> SettingNames { get; }

    /// <summary>The settings the options record declares: name, type, default, help (<see cref="SettingAttribute"/>).</summary>
    IReadOnlyList<SettingInfo> Settings { get; }

    /// <summary>The options from settings (snake_case keys; keys of other methods ignored; absent keys take the
    /// record's defaults). <paramref name="source"/> is named in errors.</summary>
    object ReadOptions(JsonObject settings, string source);

    /// <summary>The checks of the options that need neither the data nor the model (ranges, options that exclude each
    /// other, with the run's <paramref name="budget"/> where it has one), made before any work and when a batch manifest
    /// is loaded, so <c>--dry-run</c> catches them.</summary>
    /// <exception cref="SlsInputException">naming the option.</exception>
    void Validate(object options, Budgets.Budget? budget = null);

    /// <summary>What is allowed but almost always a mistake in the options (an alpha above 1), or with this many
    /// calibration images (a perplexity close to their number), said on stderr and recorded in the index.</summary>
    IEnumerable<string> Warnings(object options, int calibrationImages);

    /// <summary>The files and folders the method writes besides the index (plots, features, a new PETL file, more
    /// indexes), checked with the index before any work starts.</summary>
    IEnumerable<OutputTarget> Outputs(PruneOptions run, object options);

    /// <summary>The files the method reads besides the model and the data (another index), which no output may replace.</summary>
    IEnumerable<string?> Inputs(object options);

    /// <summary>How the method's own section of the index is written, read and checked (null: the method records
    /// nothing beyond the common fields). The section's record says what the prune command and the reports show of it
    /// (<see cref="IIndexSection"/>).</summary>
    IIndexSectionFormat? Section { get; }

    /// <summary>The kinds of <c>--budget</c> the method honours (<see cref="Budgets.BudgetKinds"/>; empty: it takes
    /// none). A method that takes one reads <see cref="PruneContext.Budget"/> and <see cref="PruneContext.Costs"/> and
    /// records its choice in the index's <c>budget</c>.</summary>
    IReadOnlyCollection<string> BudgetKinds { get; }

    /// <summary>Whether the method meets a budget by keeping fewer blocks (so a budget below one block's cost is refused
    /// before it runs); false for a method that narrows every block instead (its budget sets a ratio).</summary>
    bool BudgetCutsDepth { get; }

    /// <summary>Scores and decides on <paramref name="context"/>'s model and calibration images with
    /// <paramref name="options"/> (the record <see cref="ReadOptions"/> returned, already validated), and returns the
    /// index, completed from <see cref="PruneContext.Index"/>, with what else it made. It writes no index itself: the runner
    /// writes it last, atomically. It checks <see cref="PruneContext.Cancellation"/> between batches.</summary>
    /// <exception cref="SlsInputException">for input only the run can find wrong (too few classes in the calibration split).</exception>
    MethodOutput Run(PruneContext context, object options);
}

/// <summary>The typed side of <see cref="IPruneMethod"/>: options of type <typeparamref name="TOptions"/>.</summary>
public abstract class PruneMethod<TOptions> : IPruneMethod where TOptions : class, new()
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract string Description { get; }

    /// <inheritdoc/>
    public IReadOnlyCollection<string> SettingNames => MethodSettings.Names<TOptions>();

    /// <inheritdoc/>
    public IReadOnlyList<SettingInfo> Settings => MethodSettings.Describe(typeof(TOptions));

    /// <inheritdoc/>
    public object ReadOptions(JsonObject settings, string source) => MethodSettings.Read<TOptions>(settings, source);

    /// <inheritdoc/>
    public virtual IIndexSectionFormat? Section => null;

    /// <inheritdoc/>
    public virtual IReadOnlyCollection<string> BudgetKinds => [];

    /// <inheritdoc/>
    public virtual bool BudgetCutsDepth => true;

    /// <inheritdoc/>
    public MethodOutput Run(PruneContext context, object options) => Run(context, (TOptions)options);

    /// <inheritdoc/>
    public void Validate(object options, Budgets.Budget? budget = null) => Validate((TOptions)options, budget);

    /// <inheritdoc/>
    public IEnumerable<string> Warnings(object options, int calibrationImages) => Warnings((TOptions)options, calibrationImages);

    /// <inheritdoc/>
    public IEnumerable<OutputTarget> Outputs(PruneOptions run, object options) => Outputs(run, (TOptions)options);

    /// <inheritdoc/>
    public IEnumerable<string?> Inputs(object options) => Inputs((TOptions)options);

    /// <summary>The typed <see cref="IPruneMethod.Validate"/>: checks <paramref name="o"/> without data or model; by default
    /// accepts everything.</summary>
    /// <exception cref="SlsInputException">naming the option (<c>--alpha</c>) and what is wrong with its value.</exception>
    protected virtual void Validate(TOptions o)
    {
    }

    /// <summary>The checks with the run's budget (null: none); by default those without it.</summary>
    protected virtual void Validate(TOptions o, Budgets.Budget? budget) => Validate(o);

    /// <summary>The typed <see cref="IPruneMethod.Warnings"/>: lines about allowed but suspicious settings of
    /// <paramref name="o"/> for <paramref name="calibrationImages"/> images; none by default.</summary>
    protected virtual IEnumerable<string> Warnings(TOptions o, int calibrationImages) => [];

    /// <summary>The typed <see cref="IPruneMethod.Outputs"/>: what the method writes besides the index for the run
    /// <paramref name="run"/>; nothing by default.</summary>
    protected virtual IEnumerable<OutputTarget> Outputs(PruneOptions run, TOptions o) => [];

    /// <summary>The typed <see cref="IPruneMethod.Inputs"/>: files <paramref name="o"/> names that the method reads; none by
    /// default (null entries are ignored).</summary>
    protected virtual IEnumerable<string?> Inputs(TOptions o) => [];

    /// <summary>The typed <see cref="IPruneMethod.Run"/>: the method's work on <paramref name="ctx"/> with its options
    /// <paramref name="o"/>.</summary>
    protected abstract MethodOutput Run(PruneContext ctx, TOptions o);
}
