using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Models.Petl;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models;

/// <summary>
/// One backbone family behind <see cref="Backbone"/>: it recognises its converted (internal-named) tensors,
/// reads its shape off them, checks and applies a plan of kept blocks (and widths) to its weights, and builds the
/// model. <see cref="ModelFactory"/> does everything else (files, converters, PETL, loading, fingerprints) the
/// same way for every family. A new family is one folder with its modules and this descriptor, plus one line in
/// <see cref="BackboneFamilies.All"/>.
/// </summary>
public interface IBackboneFamily
{
    /// <summary>The family's name, as <c>sls inspect</c> and the index report it.</summary>
    string Name { get; }

    /// <summary>The family as <c>sls inspect</c> titles a backbone that is not one of its table's variants.</summary>
    string Title => Name;

    /// <summary>Whether converted tensors with these names and shapes are this family's.</summary>
    bool Recognises(IReadOnlyDictionary<string, long[]> shapes);

    /// <summary>The full shape; <paramref name="hints"/> (the checkpoint layout's side files) and, over them,
    /// <paramref name="options"/> supply what the tensors do not reveal (heads, variant, LayerNorm eps, input normalisation).</summary>
    /// <exception cref="SlsInputException">naming <paramref name="source"/> when the tensors do not make a model.</exception>
    IBackboneShape Infer(IReadOnlyDictionary<string, long[]> shapes, ArchitectureHints hints, ModelOptions options, string source);

    /// <summary>The plan the checkpoint itself stores: all blocks at full width, or the narrower widths a
    /// width-pruned checkpoint was saved with (read per block).</summary>
    ModelPlan StoredPlan(IReadOnlyDictionary<string, long[]> shapes, IBackboneShape full, string source);

    /// <summary>Checks a plan (from an index or a method) against the full shape.</summary>
    void Validate(ModelPlan plan, IBackboneShape full, string source);

    /// <summary>The kept blocks' weights renumbered 0..k-1 and sliced to the plan's widths (others disposed).</summary>
    /// <param name="petlRules">the PETL method's own tensors that width pruning cuts.</param>
    Dictionary<string, Tensor> Apply(ModelPlan plan, Dictionary<string, Tensor> weights, IBackboneShape full,
        IReadOnlyDictionary<string, SliceRole>? petlRules = null);

    /// <summary>The model of the plan's blocks and widths with <paramref name="petl"/>'s modules, fresh weights.</summary>
    Backbone Create(IBackboneShape full, ModelPlan plan, PetlSettings petl);

    /// <summary>What <c>sls inspect</c> reports of the shape (<paramref name="heads"/> and the hints' null: unknown, not an error).</summary>
    ArchitectureReport Describe(IReadOnlyDictionary<string, long[]> shapes, ArchitectureHints hints, int? heads, string source);

    /// <summary>Why <paramref name="method"/>'s merge (<see cref="PetlMethod.Merge"/>) would not be exact on this
    /// plan's model (null: it is).</summary>
    string? MergeLimit(IBackboneShape full, ModelPlan plan, PetlMethod method) => null;

    /// <summary>The settings of the family's own shape that <c>sls pretrain</c> takes besides <see cref="PretrainShape"/>'s,
    /// each an option (names unique over the families).</summary>
    IReadOnlyList<ShapeSetting> PretrainSettings { get; }

    /// <summary>The shape <c>sls pretrain</c> trains from scratch: <paramref name="common"/> and the family's own
    /// <paramref name="values"/>, with a head of <paramref name="classes"/> classes.</summary>
    /// <exception cref="SlsInputException">naming the option, when the values do not make a model.</exception>
    IBackboneShape Untrained(PretrainShape common, ShapeValues values, int classes);

    /// <summary>A fresh model's learned tokens and tables initialised as its reference implementation does (the
    /// layers' own initialisation does the rest), drawing from torch's seeded generator.</summary>
    void InitialiseUntrained(Backbone model) { }
}

/// <summary>A family whose shape is its own record type: the casts are made once here.</summary>
public abstract class BackboneFamily<TShape> : IBackboneFamily where TShape : IBackboneShape
{
    public abstract string Name { get; }

    public abstract bool Recognises(IReadOnlyDictionary<string, long[]> shapes);

    public abstract TShape Infer(IReadOnlyDictionary<string, long[]> shapes, ArchitectureHints hints, ModelOptions options, string source);

    public abstract ModelPlan StoredPlan(IReadOnlyDictionary<string, long[]> shapes, TShape full, string source);

    public abstract void Validate(ModelPlan plan, TShape full, string source);

    public abstract Dictionary<string, Tensor> Apply(ModelPlan plan, Dictionary<string, Tensor> weights, TShape full,
        IReadOnlyDictionary<string, SliceRole>? petlRules);

    public abstract Backbone Create(TShape full, ModelPlan plan, PetlSettings petl);

    public abstract ArchitectureReport Describe(IReadOnlyDictionary<string, long[]> shapes, ArchitectureHints hints, int? heads, string source);

    public virtual string? MergeLimit(TShape full, ModelPlan plan, PetlMethod method) => null;

    public virtual string Title => Name;

    public abstract IReadOnlyList<ShapeSetting> PretrainSettings { get; }

    public abstract TShape Untrained(PretrainShape common, ShapeValues values, int classes);

    public virtual void InitialiseUntrained(Backbone model) { }

    IBackboneShape IBackboneFamily.Untrained(PretrainShape common, ShapeValues values, int classes) => Untrained(common, values, classes);

    string? IBackboneFamily.MergeLimit(IBackboneShape full, ModelPlan plan, PetlMethod method) => MergeLimit(Own(full), plan, method);

    IBackboneShape IBackboneFamily.Infer(IReadOnlyDictionary<string, long[]> shapes, ArchitectureHints hints, ModelOptions options, string source) =>
        Infer(shapes, hints, options, source);

    ModelPlan IBackboneFamily.StoredPlan(IReadOnlyDictionary<string, long[]> shapes, IBackboneShape full, string source) => StoredPlan(shapes,
        Own(full), source);

    void IBackboneFamily.Validate(ModelPlan plan, IBackboneShape full, string source) => Validate(plan, Own(full), source);

    Dictionary<string, Tensor> IBackboneFamily.Apply(ModelPlan plan, Dictionary<string, Tensor> weights, IBackboneShape full,
        IReadOnlyDictionary<string, SliceRole>? petlRules) => Apply(plan, weights, Own(full), petlRules);

    Backbone IBackboneFamily.Create(IBackboneShape full, ModelPlan plan, PetlSettings petl) => Create(Own(full), plan, petl);

    private TShape Own(IBackboneShape shape) => shape is TShape s ? s
        : throw new ArgumentException($"a {shape.GetType().Name} is not a {Name} shape", nameof(shape));
}
