namespace SlsPrune.Core.IO;

/// <summary>A file or folder a run will write, with the option that named it: checked by <see cref="OutputPath"/>
/// against the run's inputs before any work starts. <paramref name="InPlace"/>: an existing file is written in place
/// (appended to, as a log) rather than replaced by a rename, so it must also not share its inode with an input
/// (<see cref="OutputPath.CheckInPlace(string, string, string?[])"/>).</summary>
public sealed record OutputTarget(string Path, string Option, bool Folder = false, bool InPlace = false)
{
    public void Check(params string?[] inputs)
    {
        if (Folder) OutputPath.CheckFolder(Path, Option, false, inputs);
        else OutputPath.CheckFile(Path, Option, inputs);
        if (InPlace) OutputPath.CheckInPlace(Path, Option, inputs);
    }
}
