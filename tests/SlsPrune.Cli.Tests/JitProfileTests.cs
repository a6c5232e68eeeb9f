using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>The JIT profile the command line keeps between runs (<see cref="JitProfile"/>), in the real process with its
/// cache folder in a temporary directory: a successful run leaves the profile and no copy, a run that plays it back
/// writes the same index and scores, a failed run leaves it as it was, and what is not a regular file of a bounded size
/// at its place is not read and does not stop the command.</summary>
public class JitProfileTests
{
    private static (int Code, string Out, string Err) Sls(string cache, bool off, params string[] args) =>
        CliProcess.Run(new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cache, [JitProfile.Variable] = off ? "1" : "0" }, args);

    [Fact]
    public void A_run_saves_the_profile_the_next_plays_back_with_the_same_scores_and_a_failed_run_keeps_it()
    {
        if (Environment.ProcessorCount < 2) return; // the runtime records no profile on one processor
        string cache = Directory.CreateTempSubdirectory("sls-jit-").FullName, task = PruneEvalCommandTests.Task(12, 3);
        try
        {
            string folder = Path.Combine(cache, "slsprune"), profile = Path.Combine(folder, "prune.jitprofile");
            string[] prune = CliProcess.FixturePrune(task);
            var first = Sls(cache, false, [.. prune, "--out", Path.Combine(cache, "first.sls.json")]);
            Assert.True(first.Code == 0, first.Err);
            Assert.True(new FileInfo(profile).Length > 1000, "the profile lists the methods compiled at run time");
            Assert.Equal(["prune.jitprofile"], Directory.GetFiles(folder).Select(Path.GetFileName)); // no copy left
            var second = Sls(cache, false, [.. prune, "--out", Path.Combine(cache, "second.sls.json")]);
            Assert.True(second.Code == 0, second.Err);
            Assert.Equal(Scores(cache, "first"), Scores(cache, "second"));

            // a failed run, and help, leave it as it was
            byte[] saved = File.ReadAllBytes(profile);
            var failed = Sls(cache, false, "prune", "--no-such-option");
            Assert.Equal(2, failed.Code);
            Assert.Equal(0, Sls(cache, false, "prune", "--help").Code);
            Assert.Equal(saved, File.ReadAllBytes(profile));
            Assert.Single(Directory.GetFiles(folder));

            string offCache = Path.Combine(cache, "off");
            Assert.Equal(0, Sls(offCache, true, "inspect", CliRunner.Fixture("backbone.safetensors")).Code);
            Assert.False(Directory.Exists(offCache), "SLS_NO_JIT_PROFILE=1 writes nothing");

            // no absolute cache folder (XDG_CACHE_HOME unset, a relative home): no profile, and nothing in the working folder
            var relative = CliProcess.Run(new Dictionary<string, string> { ["XDG_CACHE_HOME"] = "", ["HOME"] = "sls-relative-home" }, "inspect",
                CliRunner.Fixture("backbone.safetensors"));
            Assert.True(relative.Code == 0 && relative.Err.Length == 0, relative.Err);
            Assert.False(Directory.Exists(Path.Combine(Directory.GetCurrentDirectory(), "sls-relative-home")));
        }
        finally
        {
            Directory.Delete(cache, true);
            Directory.Delete(task, true);
        }
    }

    [Fact]
    public void What_is_not_a_regular_file_of_at_most_8_MiB_at_the_profiles_place_is_not_read()
    {
        if (!OperatingSystem.IsLinux()) return;
        string cache = Directory.CreateTempSubdirectory("sls-jit-hostile-").FullName, folder = Path.Combine(cache, "slsprune");
        try
        {
            Directory.CreateDirectory(folder);
            string profile = Path.Combine(folder, "inspect.jitprofile");
            string[] inspect = ["inspect", CliRunner.Fixture("backbone.safetensors")];

            // a named pipe: reading it would wait for a writer for ever
            using (var mk = System.Diagnostics.Process.Start("mkfifo", profile)) mk.WaitForExit();
            Assert.Equal(Core.IO.PathKind.Special, Core.IO.FileKind.Of(profile));
            Clean(Sls(cache, false, inspect));
            if (Environment.ProcessorCount >= 2) // the runtime records no profile on one processor
                Assert.True(File.Exists(profile) && new FileInfo(profile).Length > 0, "the pipe is replaced by the run's own profile");

            // larger than the bound: not read, replaced
            File.Delete(profile);
            using (var f = new FileStream(profile, FileMode.Create)) f.SetLength(JitProfile.MaxBytes + 1);
            Clean(Sls(cache, false, inspect));
            if (Environment.ProcessorCount >= 2) Assert.InRange(new FileInfo(profile).Length, 1, JitProfile.MaxBytes);

            // a folder: neither read nor replaced, and the command runs
            File.Delete(profile);
            Directory.CreateDirectory(profile);
            Clean(Sls(cache, false, inspect));
            Assert.True(Directory.Exists(profile));
            Assert.Empty(Directory.GetFiles(folder)); // its copy removed
        }
        finally
        {
            Directory.Delete(cache, true);
        }
    }

    [Fact]
    public void Only_a_regular_file_of_at_most_8_MiB_is_read()
    {
        string dir = Directory.CreateTempSubdirectory("sls-jit-read-").FullName;
        try
        {
            string file = Path.Combine(dir, "p.jitprofile");
            File.WriteAllBytes(file, [1, 2, 3]);
            Assert.Equal([1, 2, 3], JitProfile.Readable(file));
            using (var f = new FileStream(file, FileMode.Create)) f.SetLength(JitProfile.MaxBytes);
            Assert.Equal(JitProfile.MaxBytes, JitProfile.Readable(file)!.Length);
            using (var f = new FileStream(file, FileMode.Create)) f.SetLength(JitProfile.MaxBytes + 1);
            Assert.Null(JitProfile.Readable(file));
            Assert.Null(JitProfile.Readable(Path.Combine(dir, "missing")));
            Assert.Null(JitProfile.Readable(dir));
            if (OperatingSystem.IsLinux())
            {
                string fifo = Path.Combine(dir, "fifo");
                using (var mk = System.Diagnostics.Process.Start("mkfifo", fifo)) mk.WaitForExit();
                Assert.Null(JitProfile.Readable(fifo)); // not opened: it would wait for a writer
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>The command ran (exit 0) and said nothing on stderr: the profile never shows.</summary>
    private static void Clean((int Code, string Out, string Err) run) => Assert.True(run.Code == 0 && run.Err.Length == 0, run.Err);

    [Theory]
    [InlineData(new[] { "prune", "--out", "x" }, "prune")]
    [InlineData(new string[0], "sls")]
    [InlineData(new[] { "Prune" }, "sls")]
    [InlineData(new[] { "../../etc" }, "sls")]
    [InlineData(new[] { "--version" }, null)]
    [InlineData(new[] { "prune", "--help" }, null)]
    [InlineData(new[] { "-h" }, null)]
    public void The_profile_is_named_after_a_plain_command_name_and_help_keeps_none(string[] args, string? name) =>
        Assert.Equal(name, JitProfile.NameFor(args));

    private static string Scores(string dir, string name)
    {
        using var d = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, name + ".sls.json")));
        return d.RootElement.GetProperty("kept_blocks").GetRawText() + d.RootElement.GetProperty("sls").GetProperty("scores").GetRawText();
    }
}
