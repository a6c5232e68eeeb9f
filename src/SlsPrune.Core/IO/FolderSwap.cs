namespace SlsPrune.Core.IO;

/// <summary>A folder written whole beside its place (<see cref="TempName"/>) takes its place: an earlier folder there steps
/// aside first, the new one moves in, and only then is the earlier one removed (its links are removed, never what they
/// point to), so a failure at any step leaves one whole folder at the place.</summary>
public static class FolderSwap
{
    /// <param name="written">the new folder, on the same file system as <paramref name="final"/>.</param>
    public static void MoveIn(string written, string final)
    {
        if (!Directory.Exists(final))
        {
            Directory.Move(written, final);
            return;
        }
        string earlier = TempName.Beside(final, "old");
        Directory.Move(final, earlier);
        Directory.Move(written, final);
        Directory.Delete(earlier, true);
    }
}
