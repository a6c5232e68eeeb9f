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

    /// <summary>Wraps a model <see cref="ModelFactory"/> built; <paramref name="backbonePath"/> and <paramref name="petlPath"/>
    /// (null: no PETL file) are hashed only when <see cref="BackboneFile"/> or <see cref="PetlFile"/> is first read.</summary>
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

    /// <summary>The model itself (a TorchSharp module, in evaluation mode unless built trainable), on the device and in the
    /// precision asked for; disposed with this object.</summary>
    public Backbone Model { get; }

    /// <summary>The PETL method and its settings (hidden size, scale) as read from the PETL file; RepAdapter's even when merged.</summary>
    public PetlSettings Petl { get; }

    /// <summary>Whether the PETL modules were folded into the backbone's weights (exact for linear re-parameterisable
    /// methods), so the model runs as a plain backbone.</summary>
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

    /// <summary>The backbone checkpoint's path and SHA-256 (of a folder: of its files' manifest); hashed on first read.</summary>
    public FileFingerprint BackboneFile => _backbone.Value;

    /// <summary>The PETL file's path and SHA-256, hashed on first read; null when the model was built without one.</summary>
    public FileFingerprint? PetlFile => _petl?.Value;

    /// <summary>Frees the model's tensors (native memory, on the GPU where built there).</summary>
    public void Dispose() => Model.Dispose();
}
