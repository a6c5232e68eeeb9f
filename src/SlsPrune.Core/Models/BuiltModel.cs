using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.IO;
using SlsPrune.Core.Models.Petl;

namespace SlsPrune.Core.Models;

/// <summary>A built model and what it was built from: the PETL settings of its file (RepAdapter's even when
/// merged), the depth of the full backbone, and the files' fingerprints (hashed on first use).</summary>
public sealed class BuiltModel : IDisposable
{
    private readonly Lazy<FileFingerprint> _backbone;
    private readonly Lazy<FileFingerprint>? _petl;

    public BuiltModel(Backbone model, PetlSettings petl, bool merged, int fullDepth, ModelPlan plan, string backbonePath, string? petlPath)
    {
        Model = model;
        Petl = petl;
        Merged = merged;
        FullDepth = fullDepth;
        Plan = plan;
        _backbone = new(() => CheckpointSource.Resolve(backbonePath).Fingerprint());
        _petl = petlPath is null ? null : new(() => CheckpointSource.ResolvePetl(petlPath).Fingerprint());
    }

    public Backbone Model { get; }

    public PetlSettings Petl { get; }

    public bool Merged { get; }

    /// <summary>Blocks of the unpruned backbone.</summary>
    public int FullDepth { get; }

    /// <summary>What was built from the backbone (kept blocks, widths).</summary>
    public ModelPlan Plan { get; }

    /// <summary>The head's class names where the checkpoint names them (a Hugging Face folder's <c>id2label</c>, when its own
    /// head classifies); null otherwise (a task's PETL head: the data names its classes).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The file (or folder) the classification head was read from: the PETL file, a PEFT folder with a
    /// classifier, or the backbone itself (<see cref="HeadFromBackbone"/>).</summary>
    public string HeadSource { get; init; } = "";

    /// <summary>The backbone's own head classifies (no task head was given).</summary>
    public bool HeadFromBackbone { get; init; }

    /// <summary>The input size and where it came from (null: the family does not say).</summary>
    public InputSizeOrigin? InputOrigin { get; init; }

    public FileFingerprint BackboneFile => _backbone.Value;

    public FileFingerprint? PetlFile => _petl?.Value;

    public void Dispose() => Model.Dispose();
}
