namespace SlsPrune.Core.IO;

/// <summary>Writes a file through a temporary file in the same folder, then renames it into place, so a
/// reader never sees half a file and a failure leaves nothing behind. A process killed mid-write leaves its
/// temporary file (<c>.NAME.PID.GUID.tmp</c>); the next write of the same file removes those whose process is gone.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = System.IO.Path.GetFullPath(path);
        string dir = System.IO.Path.GetDirectoryName(full)!;
        string tmp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(dir);
            RemoveStale(dir, System.IO.Path.GetFileName(full));
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
            if (e is IOException)
                throw new IOException($"{path}: could not be written: {e.Message.Replace(tmp, path, StringComparison.Ordinal)}", e);
            throw;
        }
    }

    private static void RemoveStale(string dir, string name)
    {
        foreach (var tmp in Directory.EnumerateFiles(dir, $".{name}.*.tmp"))
        {
            var parts = System.IO.Path.GetFileName(tmp)[(name.Length + 2)..].Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[0], out int pid) || pid == Environment.ProcessId || IsRunning(pid)) continue;
            try { File.Delete(tmp); } catch (IOException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
