using SlsPrune.Core.IO;

namespace SlsPrune.Core.Tests;

/// <summary>The sweep of temporary files and folders killed writers left: only names of sls's exact pattern
/// (<c>.NAME.HOST.PID.GUID.tmp</c>), made on this host by a process that is gone, of the kind the writer makes. A user's
/// file that merely looks like one (the audit's <c>--backbone .idx.sls.json.999999.a.tmp</c>), another node's file on
/// shared storage, a live process's file and a link are kept.</summary>
public sealed class TempNameTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sls-tempname-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A process id no process has (above Linux's largest pid_max).</summary>
    private static readonly string Gone = int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Guid32() => Guid.NewGuid().ToString("N");

    private string Make(string name, string content = "x")
    {
        string p = Path.Combine(_dir, name);
        File.WriteAllText(p, content);
        return name;
    }

    private string[] Left() => [.. Directory.EnumerateFileSystemEntries(_dir).Select(e => Path.GetFileName(e)).Order(StringComparer.Ordinal)];

    [Fact]
    public void An_atomic_write_sweeps_only_this_host_s_dead_writers_temporary_files()
    {
        const string name = "idx.sls.json";
        string stale = Make($".{name}.{TempName.Host}.{Gone}.{Guid32()}.tmp");
        string[] kept =
        [
            Make($".{name}.999999.a.tmp", "a backbone"), // the old pattern: a user's input named like a temporary file
            Make($".{name}.other-node.{Gone}.{Guid32()}.tmp"), // another host's, on shared storage
            Make($".{name}.{TempName.Host}.1.{Guid32()}.tmp"), // a live process's (init)
            Make($".{name}.{TempName.Host}.{Environment.ProcessId}.{Guid32()}.tmp"), // this process's own
            Make($".{name}.{TempName.Host}.{Gone}.{Guid32().ToUpperInvariant()}.tmp"), // not sls's GUID form
            Make($".{name}.{TempName.Host}.{Gone}.{Guid32()}.tmp.bak"),
            Make($".other.json.{TempName.Host}.{Gone}.{Guid32()}.tmp"), // another file's
            Make("target.bin", "an input"),
        ];
        string link = $".{name}.{TempName.Host}.{Gone}.{Guid32()}.tmp";
        File.CreateSymbolicLink(Path.Combine(_dir, link), "target.bin");
        string folder = $".{name}.{TempName.Host}.{Gone}.{Guid32()}.tmp";
        Directory.CreateDirectory(Path.Combine(_dir, folder));

        AtomicFile.Write(Path.Combine(_dir, name), s => s.Write("{}"u8));

        Assert.False(File.Exists(Path.Combine(_dir, stale)));
        Assert.Equal(kept.Append(link).Append(folder).Append(name).Order(StringComparer.Ordinal), Left());
        Assert.Equal("a backbone", File.ReadAllText(Path.Combine(_dir, $".{name}.999999.a.tmp")));
        Assert.Equal("an input", File.ReadAllText(Path.Combine(_dir, "target.bin")));
        Assert.Equal("{}", File.ReadAllText(Path.Combine(_dir, name)));
    }

    [Fact]
    public void A_folder_sweep_removes_dead_temporary_and_earlier_folders_but_not_links_or_files()
    {
        string tmp = $".task.{TempName.Host}.{Gone}.{Guid32()}.tmp", old = $".task.{TempName.Host}.{Gone}.{Guid32()}.old";
        foreach (var f in new[] { tmp, old })
        {
            Directory.CreateDirectory(Path.Combine(_dir, f, "images"));
            File.WriteAllText(Path.Combine(_dir, f, "images", "00000.png"), "png");
        }
        Directory.CreateDirectory(Path.Combine(_dir, "mine"));
        File.WriteAllText(Path.Combine(_dir, "mine", "keep.txt"), "mine");
        string link = $".task.{TempName.Host}.{Gone}.{Guid32()}.tmp";
        Directory.CreateSymbolicLink(Path.Combine(_dir, link), "mine");
        string file = Make($".task.{TempName.Host}.{Gone}.{Guid32()}.old");
        string live = $".task.{TempName.Host}.1.{Guid32()}.tmp";
        Directory.CreateDirectory(Path.Combine(_dir, live));

        TempName.SweepStale(_dir, "task", folders: true);

        Assert.Equal(new[] { file, link, live, "mine" }.Order(StringComparer.Ordinal), Left());
        Assert.Equal("mine", File.ReadAllText(Path.Combine(_dir, "mine", "keep.txt")));
    }

    [Fact]
    public void Temporary_names_carry_the_host_without_dots()
    {
        Assert.Equal("node7-cluster-example", TempName.HostOf("node7.cluster.example"));
        Assert.Equal("host", TempName.HostOf(""));
        string name = Path.GetFileName(TempName.Beside(Path.Combine(_dir, "x.json")));
        Assert.Matches($"^\\.x\\.json\\.{TempName.Host}\\.{Environment.ProcessId}\\.[0-9a-f]{{32}}\\.tmp$", name);
    }
}
