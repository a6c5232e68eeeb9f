using System.Diagnostics;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Tests;

/// <summary>A batch task's lock file is written in place (emptied, then the holder's pid written): a symbolic link or a
/// second name (hard link) at its path would empty the file behind it, an input among others. Both are refused by name
/// and the file behind keeps every byte; a plain lock file is taken as before.</summary>
public sealed class TaskLockTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sls-lock-").FullName;
    private static readonly byte[] Weights = [1, 2, 3, 4, 5, 6, 7, 8];

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>An input (a PETL file) and the lock path beside it, under <c>locks/</c>.</summary>
    private (string Input, string Lock) Files()
    {
        string input = Path.Combine(_dir, "petl.safetensors");
        File.WriteAllBytes(input, Weights);
        Directory.CreateDirectory(Path.Combine(_dir, "locks"));
        return (input, Path.Combine(_dir, "locks", "t.lock"));
    }

    internal static void HardLink(string existing, string path)
    {
        using var ln = Process.Start("ln", [existing, path]);
        ln.WaitForExit();
        Assert.Equal(0, ln.ExitCode);
    }

    [Fact]
    public void A_symbolic_link_at_the_lock_is_never_followed()
    {
        var (input, lockPath) = Files();
        File.CreateSymbolicLink(lockPath, "../petl.safetensors");
        var e = Assert.Throws<SlsInputException>(() => TaskLock.TryTake(lockPath, out _));
        Assert.Equal($"{lockPath}: is a symbolic link; a task's lock file is written in place and never through a link (remove it: sls batch "
            + "makes its own)", e.Message);
        Assert.Equal(Weights, File.ReadAllBytes(input));
    }

    [Fact]
    public void A_hard_link_at_the_lock_is_refused_and_the_file_keeps_its_bytes()
    {
        var (input, lockPath) = Files();
        HardLink(input, lockPath);
        Assert.True(FileIdentity.Of(lockPath)!.Value.SameFile(FileIdentity.Of(input)!.Value));
        Assert.Equal(2u, FileIdentity.Of(input)!.Value.Links);
        var e = Assert.Throws<SlsInputException>(() => TaskLock.TryTake(lockPath, out _));
        Assert.Equal($"{lockPath}: has 2 names (hard links); a task's lock file is written in place, which would change the file under its other "
            + "names too (remove it: sls batch makes its own)", e.Message);
        Assert.Equal(Weights, File.ReadAllBytes(input));
        // the same check the batch makes before its first task, and the one for any file written in place
        Assert.Throws<SlsInputException>(() => TaskLock.Check(lockPath));
        var inPlace = Assert.Throws<SlsInputException>(() => OutputPath.CheckInPlace(lockPath, "--log-file", input));
        Assert.StartsWith($"{lockPath}: has 2 names (hard links); --log-file is written in place", inPlace.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_lock_file_left_by_an_earlier_run_is_taken_and_holds_this_process_id()
    {
        var (input, lockPath) = Files();
        File.WriteAllText(lockPath, "4242\n");
        using (var taken = TaskLock.TryTake(lockPath, out int? none))
        {
            Assert.NotNull(taken);
            Assert.Null(none);
            // a second open is refused by the flock and reads the holder's pid
            Assert.Null(TaskLock.TryTake(lockPath, out int? holder));
            Assert.Equal(Environment.ProcessId, holder);
        }
        Assert.Equal("", File.ReadAllText(lockPath));
        Assert.Equal(Weights, File.ReadAllBytes(input));
        Assert.Equal(1u, FileIdentity.Of(lockPath)!.Value.Links);
    }
}
