using SlsPrune.Core.Models;

namespace SlsPrune.Core.Inspection;

/// <summary>What <c>sls inspect</c> reports about one checkpoint file or folder: <see cref="Layout"/> is the name of the
/// converter that recognised its names (<c>timm</c>, <c>torchvision</c>, ...), <see cref="WeightsFile"/> the file a
/// folder's weights were read from, <see cref="Labels"/> the class names its config gives.</summary>
public sealed record CheckpointReport(
    string Path,
    string Format,
    long Bytes,
    string Sha256,
    int TensorCount,
    IReadOnlyDictionary<string, long> ParametersByDtype,
    IReadOnlyDictionary<string, string> Metadata,
    ParameterCounts Parameters,
    ArchitectureReport? Architecture,
    PetlReport? Petl,
    string Layout,
    string? WeightsFile = null,
    IReadOnlyList<string>? Labels = null);

/// <summary>The PETL modules a file carries. A PEFT adapter folder (method <c>peft-lora</c>) also lists its
/// <see cref="Targets"/> (the layers adapted, by their name within a block) and each one's distinct ranks.</summary>
public sealed record PetlReport(string Method, int? HiddenDim, double? Scale, int AdaptedBlocks, int? NumClasses,
    IReadOnlyList<string>? Targets = null, IReadOnlyDictionary<string, IReadOnlyList<int>>? Ranks = null);

/// <summary>A backbone, optionally with the PETL file that goes with it.</summary>
public sealed record InspectReport(CheckpointReport Checkpoint, CheckpointReport? PetlFile, ParameterCounts? Combined);
