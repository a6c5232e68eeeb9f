using System.Runtime;
using SlsPrune.Core;
using SlsPrune.Core.IO;

namespace SlsPrune.Cli;

/// <summary>
/// A list of the methods a command compiled at run time, kept between runs so that the next run compiles them on a
/// background thread before the main thread needs them (.NET's multi-core JIT, <see cref="ProfileOptimization"/>).
/// <para>Why: the precompiled tool still compiles about 1000 methods at run time, 0.35 s of a 2.6 s `sls prune` on the
/// shipped model, almost all on the main thread. These are generic code over the tool's types, the JSON serializer's
/// accessors, and the hot loops, which are compiled for the CPU at hand. With the profile the other core compiles them
/// ahead, and the run ends about 0.4 s sooner (docs/BENCHMARKS.md, "A JIT profile kept between runs").</para>
/// <para>One profile per command, <c>NAME.jitprofile</c> in <c>$XDG_CACHE_HOME/slsprune</c> (<c>~/.cache/slsprune</c>;
/// none where neither gives an absolute folder). Each process plays back a private copy,
/// <c>.NAME.PID.GUID.jitprofile.tmp</c>, and records its own run into it. When the command succeeds, the copy is renamed
/// over the profile, so concurrent runs never write one file. A profile that is not a regular file or is larger than
/// 8 MiB is not read; a run that fails, and <c>--help</c> or <c>--version</c>, leave the profile as it was. The list only
/// says which methods to compile early: every result is the same with it or without it. <c>SLS_NO_JIT_PROFILE=1</c>
/// turns it off. The CLI only: a library should not start its host's profile.</para>
/// </summary>
internal static class JitProfile
{
    public const string Variable = "SLS_NO_JIT_PROFILE";
    internal const long MaxBytes = 8 << 20;
    private const string CopySuffix = ".jitprofile.tmp";
    private static readonly TimeSpan StaleAfter = TimeSpan.FromDays(1);
    private static (string Profile, string Copy)? _session;

    /// <summary>The folder the profiles are kept in: <c>$XDG_CACHE_HOME/slsprune</c>, else <c>~/.cache/slsprune</c>; null
    /// where neither is an absolute path (a relative or missing home would put it in the working folder), or off Windows
    /// where it holds a backslash (the runtime turns those into separators).</summary>
    public static string? Folder()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME"), home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string? cache = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg) ? xdg
            : !string.IsNullOrEmpty(home) && Path.IsPathRooted(home) ? Path.Combine(home, ".cache") : null;
        if (cache is null || (!OperatingSystem.IsWindows() && cache.Contains('\\'))) return null;
        return Path.Combine(cache, "slsprune");
    }

    /// <summary>The profile's name for a command line: its first word when that is a plain command name, else "sls"; null
    /// for help and the version, whose short runs would replace a command's whole profile with their few methods.</summary>
    internal static string? NameFor(string[] args)
    {
        if (args.Any(a => a is "--help" or "-h" or "-?" or "--version")) return null;
        return args is [var first, ..] && first.Length is > 0 and <= 16 && first.All(c => c is >= 'a' and <= 'z') ? first : "sls";
    }

    /// <summary>Starts playing back and recording this command's profile; does nothing where the cache folder cannot be
    /// made or written (the command runs as without it).</summary>
    public static void Start(string[] args)
    {
        if (Environment.GetEnvironmentVariable(Variable) == "1" || Folder() is not { } dir || NameFor(args) is not { } name) return;
        string copy = $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}{CopySuffix}";
        try
        {
            Directory.CreateDirectory(dir);
            RemoveStale(dir);
            string profile = Path.Combine(dir, name + ".jitprofile");
            byte[]? recorded = Readable(profile);
            if (recorded is not null) File.WriteAllBytes(Path.Combine(dir, copy), recorded);
            ProfileOptimization.SetProfileRoot(dir);
            ProfileOptimization.StartProfile(copy);
            _session = (profile, Path.Combine(dir, copy));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            Delete(Path.Combine(dir, copy)); // a copy cut short (a full disk)
        }
    }

    /// <summary>Ends the recording (the runtime writes the copy) and, where the command succeeded
    /// (<paramref name="code"/> 0), renames the copy over the profile. A copy that is not renamed (a failed command, or a
    /// profile that cannot be replaced, such as a folder) is removed.</summary>
    public static void Save(int code)
    {
        if (_session is not var (profile, copy)) return;
        _session = null;
        try
        {
            ProfileOptimization.StartProfile(null);
            if (code == 0 && File.Exists(copy)) File.Move(copy, profile, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        Delete(copy);
    }

    /// <summary>The recorded profile's bytes: null where there is none, or it is not a regular file or is too large.</summary>
    internal static byte[]? Readable(string profile)
    {
        if (!FileKind.IsRegularFile(profile)) return null;
        try
        {
            return InputFile.ReadAllBytes(profile, MaxBytes, "a JIT profile");
        }
        catch (SlsInputException)
        {
            return null;
        }
    }

    /// <summary>Removes the copies of runs that ended without saving (killed, or crashed) more than a day ago.</summary>
    private static void RemoveStale(string dir)
    {
        foreach (var tmp in Directory.EnumerateFiles(dir, "." + "*" + CopySuffix))
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(tmp) > StaleAfter) Delete(tmp);
    }

    private static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
