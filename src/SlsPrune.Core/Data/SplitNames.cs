namespace SlsPrune.Core.Data;

/// <summary>The VTAB-1k split names and the defaults every command, record and manifest takes from here (one place):
/// training and calibration on <see cref="TrainVal"/>, evaluation on <see cref="Test"/>, probes and aglp fitting on
/// <see cref="Train"/> and scoring on <see cref="Val"/>.</summary>
public static class SplitNames
{
    public const string Train = "train800";

    public const string Val = "val200";

    /// <summary>The two concatenated: what the PETL methods train on and SLS calibrates on.</summary>
    public const string TrainVal = "train800val200";

    public const string Test = "test";

    /// <summary>Every list of a VTAB-1k task folder.</summary>
    public static readonly string[] Vtab = [Train, Val, TrainVal, Test];
}
