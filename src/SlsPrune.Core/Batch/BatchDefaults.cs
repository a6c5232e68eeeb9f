using SlsPrune.Core.Data;
using SlsPrune.Core.Evaluation;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Pruning;
using SlsPrune.Core.Training;

namespace SlsPrune.Core.Batch;

/// <summary>What a manifest key is when neither the task nor the manifest's <c>defaults</c> give it: one property per
/// key of <see cref="BatchSettings"/> that has a default, read from the options record of the stage that uses it (so a
/// manifest and the command line default alike); only the settings the command line has no counterpart for are
/// declared here. Keys without a default here (<c>heads</c>, <c>image_size</c>, <c>calibration</c>, the CSV columns)
/// are left to the stage, as an option not given is; <c>stages</c> defaults to all of <see cref="BatchManifest.StageNames"/>.</summary>
public static class BatchDefaults
{
    /// <summary>The PETL method trained where the manifest names none (batch only: <c>sls train</c> needs <c>--petl-method</c>).</summary>
    public const string PetlMethod = "convpass";

    public static int PetlDim => PetlSettings.Defaults.HiddenDim;
    public static double PetlScale => PetlSettings.Defaults.Scale;
    public static int Epochs => TrainOptions.Defaults.Epochs;
    public static int WarmupEpochs => TrainOptions.Defaults.WarmupEpochs;

    /// <summary>Epochs of the retrain stage (batch only: <c>sls train --index</c> takes <c>--epochs</c>).</summary>
    public const int RetrainEpochs = 10;

    public static double Lr => TrainOptions.Defaults.Lr;
    public static int BatchSize => ModelOptions.Defaults.BatchSize;
    public static int Seed => TrainOptions.Defaults.Seed;
    public static string Device => ModelOptions.Defaults.Device;
    public static string EvalSplit => TrainOptions.Defaults.EvalSplit;
    public static bool Throughput => EvalOptions.Defaults.Throughput;

    /// <summary>The split training fits on and pruning calibrates on (the two records agree; a test checks it).</summary>
    public static string Split => TrainOptions.Defaults.TrainSplit;

    public static bool ExifTranspose => DataOptions.Defaults.ExifTranspose;
    public static bool AllowClassMismatch => ModelOptions.Defaults.AllowClassMismatch;

    /// <summary>Whether the retrain stage distils (batch only: <c>sls train --distill</c> is a flag, off).</summary>
    public const bool RetrainDistill = false;

    public static double DistillTemperature => DistillSettings.Defaults.Temperature;
    public static double DistillWeight => DistillSettings.Defaults.Weight;
    public static string Method => PruneOptions.Defaults.Method.Name;
    public static int LatencyBatch => PruneOptions.Defaults.LatencyBatch;
}
