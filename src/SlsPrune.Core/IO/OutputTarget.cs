namespace SlsPrune.Core.IO;

/// <summary>A file or folder a run will write, with the option that named it: checked by <see cref="OutputPath"/>
/// against the run's inputs before any work starts.</summary>
public sealed record OutputTarget(string Path, string Option, bool Folder = false)
{
    public void Check(params string?[] inputs)
    {
        if (Folder) OutputPath.CheckFolder(Path, Option, false, inputs);
        else OutputPath.CheckFile(Path, Option, inputs);
    }
}
