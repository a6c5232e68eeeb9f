using SlsPrune.Build;
using TorchSharp;

namespace SlsPrune.Core.Tests;

public class TorchRuntimeTests
{
    private const string Version = "GLIBCXX_3.4.32";

    [Fact]
    public void Torch_initialises_and_computes()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = torch.tensor(new float[] { 5, 6, 7, 8 }).reshape(2, 2);
        using var c = a.matmul(b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
        Assert.Equal(float.Parse("0.8413447", System.Globalization.CultureInfo.InvariantCulture),
            torch.nn.functional.gelu(torch.tensor(1.0f)).item<float>(), 6);
    }

    private static string? SystemLibstdcxx() =>
        new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);

    private static string OutputLibrary() => Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories)
            .First(p => !p.Contains($"{Path.DirectorySeparatorChar}cpu{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [SkippableFact]
    public void Build_output_library_is_weakened_only_where_the_system_lacks_the_version()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the GLIBCXX weakening applies to Linux builds only");
        string? system = SystemLibstdcxx();
        Assert.NotNull(system);
        var defs = GlibcxxWeakener.ReadVersionDefinitions(File.ReadAllBytes(system));
        Assert.Contains("GLIBCXX_3.4", defs);
        var needs = GlibcxxWeakener.ReadVersionNeeds(File.ReadAllBytes(OutputLibrary()));
        var need = Assert.Single(needs, n => n.Version == Version);
        bool weak = (need.Flags & GlibcxxWeakener.VerFlgWeak) != 0;
        Assert.Equal(!defs.Contains(Version), weak);
    }

    [SkippableFact]
    public void Nuget_cache_copy_is_never_patched()
    {
        string home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string cached = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Skip.IfNot(File.Exists(cached), $"no Linux TorchSharp package in the NuGet cache at {cached} (another OS or cache layout)");
        var need = Assert.Single(GlibcxxWeakener.ReadVersionNeeds(File.ReadAllBytes(cached)), n => n.Version == Version);
        Assert.Equal(0, need.Flags & GlibcxxWeakener.VerFlgWeak);
    }

    [Fact]
    public void MarkWeak_sets_only_the_named_requirement_and_is_idempotent()
    {
        byte[] elf = File.ReadAllBytes(OutputLibrary());
        var before = GlibcxxWeakener.ReadVersionNeeds(elf);
        // Clear the flag first so the test does not depend on whether the build patched this copy.
        var target = before.Single(n => n.Version == Version);
        elf[target.FlagsOffset] &= unchecked((byte)~GlibcxxWeakener.VerFlgWeak);
        Assert.Equal(1, GlibcxxWeakener.MarkWeak(elf, Version));
        Assert.Equal(0, GlibcxxWeakener.MarkWeak(elf, Version));
        var after = GlibcxxWeakener.ReadVersionNeeds(elf);
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Version, after[i].Version);
            if (before[i].Version == Version) Assert.Equal(GlibcxxWeakener.VerFlgWeak, after[i].Flags & GlibcxxWeakener.VerFlgWeak);
            else Assert.Equal(before[i].Flags, after[i].Flags);
        }
        Assert.Contains(after, n => n.File == "libstdc++.so.6" && n.Version == "GLIBCXX_3.4.30");
    }

    [Fact]
    public void Non_elf_input_is_rejected()
    {
        Assert.Throws<InvalidDataException>(() => GlibcxxWeakener.ReadVersionNeeds(new byte[100]));
    }
}
