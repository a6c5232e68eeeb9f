using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Core.Models;

/// <summary>What the user gives to build a model: files and the settings shapes cannot reveal. Every command
/// that loads a model takes these.</summary>
public sealed record ModelOptions(
    string Backbone,
    string? Petl = null,
    int? Heads = null,
    string? ModelName = null,
    PetlMethod? PetlMethod = null,
    int? PetlDim = null,
    double? PetlScale = null,
    bool Merge = false,
    Precision Precision = Precision.Fp32,
    string Device = "auto",
    int BatchSize = 64);
