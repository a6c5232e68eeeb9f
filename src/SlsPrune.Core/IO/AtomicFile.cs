namespace SlsPrune.Core.IO;

/// <summary>Writes a file through a temporary file in the same folder, then renames it into place, so a
/// reader never sees half a file and a failure leaves nothing behind. A process killed mid-write leaves its
/// temporary file (<c>.NAME.HOST.PID.GUID.tmp</c>, <see cref="TempName"/>); the next write of the same file removes
/// those this host's processes left and that are gone.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = System.IO.Path.GetFullPath(path);
        string dir = System.IO.Path.GetDirectoryName(full)!;
        string tmp = TempName.Beside(full);
        try
        {
            Directory.CreateDirectory(dir);
            TempName.SweepStale(dir, System.IO.Path.GetFileName(full));
            using (var s = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(s);
                s.Flush(true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            // the user's path in the error, never the hidden temporary file's
            if (e is UnauthorizedAccessException) throw new SlsInputException(path, "cannot be written (permission denied)");
            if (e is IOException io) throw Failed(path, io, tmp);
            throw;
        }
    }

    /// <summary>A write's failure (a full disk, an I/O error) as one line naming the user's <paramref name="path"/>, with
    /// the temporary path <paramref name="tmp"/> in the system's message replaced by it.</summary>
    public static IOException Failed(string path, IOException e, string tmp) =>
        new($"{path}: could not be written: {e.Message.Replace(tmp, path, StringComparison.Ordinal)}", e);
}
