using SlsPrune.Core.Runtime;

namespace SlsPrune.Core.Tests;

/// <summary>SLS_LIBTORCH: the folder is checked before anything is loaded, and errors name the variable.</summary>
public class NativeBackendTests
{
    [Fact]
    public void A_missing_folder_is_named()
    {
        var e = Assert.Throws<InvalidOperationException>(() => NativeBackend.Load("/nonexistent/torch/lib"));
        Assert.Equal("SLS_LIBTORCH=/nonexistent/torch/lib: no such folder (it should name PyTorch's torch/lib)", e.Message);
    }

    [Fact]
    public void A_folder_without_libtorch_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory("sls-libtorch-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "libc10.so"), "not a library");
            var e = Assert.Throws<InvalidOperationException>(() => NativeBackend.Load(dir));
            Assert.Contains("no libtorch_cpu.so there", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_file_that_is_not_a_library_fails_with_the_loader_message()
    {
        string dir = Directory.CreateTempSubdirectory("sls-libtorch-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "libc10.so"), "not a library");
            File.WriteAllText(Path.Combine(dir, "libtorch_cpu.so"), "not a library");
            var e = Assert.Throws<InvalidOperationException>(() => NativeBackend.Load(dir));
            Assert.StartsWith($"SLS_LIBTORCH: cannot load {Path.Combine(dir, "libc10.so")}: ", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
