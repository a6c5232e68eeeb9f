using System.IO.Compression;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Checkpoints.Pickle;
using TorchSharp;

namespace SlsPrune.Core.Tests;

public class PyTorchCheckpointTests
{
    private static Dictionary<string, torch.Tensor> All(string name)
    {
        using var c = CheckpointFile.Open(Fixtures.File(name));
        return CheckpointFile.ReadAll(c);
    }

    [Theory]
    [InlineData("convpass.pt", "convpass.safetensors")]
    [InlineData("repadapter.pt", "repadapter.safetensors")]
    public void Reference_adapter_dict_reads_exactly(string pt, string st)
    {
        var a = All(pt);
        var b = All(st);
        Assert.Equal(b.Keys.Order(), a.Keys.Order());
        foreach (var (k, v) in b) Assert.True(Fixtures.Same(v, a[k]), k);
        using var c = CheckpointFile.Open(Fixtures.File(pt));
        Assert.Equal(CheckpointFormat.PyTorchZip, c.Format);
    }

    [Fact]
    public void State_dict_nested_under_model_is_found_and_scalars_become_metadata()
    {
        using var c = CheckpointFile.Open(Fixtures.File("backbone.pth"));
        Assert.Equal("3", c.Metadata["epoch"]);
        Assert.Equal("vit_test_patch8", c.Metadata["arch"]);
        var pth = CheckpointFile.ReadAll(c);
        var st = All("backbone.safetensors");
        Assert.Equal(st.Count, pth.Count);
        foreach (var (k, v) in st) Assert.True(Fixtures.Same(v, pth[k]), k);
    }

    private static string Training(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "training", name);

    [Fact]
    public void A_timm_training_checkpoint_reads_its_state_dict_beside_argparse_args_and_the_optimizer()
    {
        using var c = CheckpointFile.Open(Training("timm_train.pth.tar"));
        Assert.Equal("2", c.Metadata["epoch"]);
        Assert.Equal("vit_tiny_patch16_224", c.Metadata["arch"]);
        Assert.Equal("2", c.Metadata["version"]);
        Assert.False(c.Metadata.ContainsKey("args"));
        var train = CheckpointFile.ReadAll(c);
        using var plain = CheckpointFile.Open(Training("timm_train_plain.pth"));
        var expected = CheckpointFile.ReadAll(plain);
        Assert.Equal(expected.Keys.Order(), train.Keys.Order());   // the state dict only: no optimizer momentum
        foreach (var (k, v) in expected) Assert.True(Fixtures.Same(v, train[k]), k);
    }

    [Fact]
    public void A_training_checkpoint_whose_args_reduce_to_os_system_is_refused_before_anything_runs()
    {
        var e = Assert.Throws<SlsInputException>(() => CheckpointFile.Open(Training("timm_train_evil.pth.tar")).Dispose());
        Assert.Contains("'posix.system', which is not on the allowlist", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists("/tmp/sls-timm-args-pwned"));
    }

    [Fact]
    public void An_inert_object_inside_the_state_dict_is_refused()
    {
        var e = Assert.Throws<SlsInputException>(() => CheckpointFile.Open(Training("timm_train_object_in_state.pth.tar")).Dispose());
        Assert.Contains("state dict entry 'args' is a argparse.Namespace object, not a tensor", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\u0080\u0002cargparse\nNamespace\nK\u0001\u0085R.", "calls argparse.Namespace with arguments")]                 // Namespace(1)
    [InlineData("\u0080\u0002cargparse\nNamespace\n)\u0081}b}b.", "sets state on an object that cannot take it")]                   // state set twice
    [InlineData("\u0080\u0002cargparse\nNamespace\n)\u0081]b.", "sets state on an object that cannot take it")]                     // a list as state
    [InlineData("\u0080\u0002cargparse\nNamespace\n)\u0081)R.",
        "pickle calls something that is not an allowlisted global")]       // calling the placeholder
    [InlineData("\u0080\u0002cargparse\nNamespace\n)\u0081}X\u0001\u0000\u0000\u0000acposix\nsystem\nsb.", "'posix.system'")] // a global in its state
    public void An_argparse_placeholder_is_never_called_or_given_anything_but_plain_state(string pickle, string message)
    {
        var bytes = System.Text.Encoding.Latin1.GetBytes(pickle);
        var e = Assert.Throws<SlsInputException>(() => RestrictedUnpickler.Load(bytes, "x.pt"));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pickle_naming_os_system_is_refused_before_anything_runs()
    {
        var e = Assert.Throws<SlsInputException>(() => CheckpointFile.Open(Fixtures.File("evil.pt")).Dispose());
        Assert.Contains("posix.system", e.Message, StringComparison.Ordinal);
        Assert.Contains("evil.pt", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists("/tmp/slsprune-evil-ran"));
    }

    [Theory]
    [InlineData("cbuiltins\neval\n.", "builtins.eval")]
    [InlineData("\u0080\u0002ctorch\nload\n.", "torch.load")]
    public void Unlisted_globals_are_refused_by_name(string pickle, string global)
    {
        var bytes = System.Text.Encoding.Latin1.GetBytes(pickle);
        var e = Assert.Throws<SlsInputException>(() => RestrictedUnpickler.Load(bytes, "x.pt"));
        Assert.Contains($"'{global}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stack_global_is_checked_too()
    {
        // protocol 4: SHORT_BINUNICODE 'os', SHORT_BINUNICODE 'system', STACK_GLOBAL
        byte[] p = [0x80, 4, 0x8c, 2, (byte)'o', (byte)'s', 0x8c, 6, .. "system"u8.ToArray(), 0x93, (byte)'.'];
        var e = Assert.Throws<SlsInputException>(() => RestrictedUnpickler.Load(p, "y.pt"));
        Assert.Contains("'os.system'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Damaged_archives_give_input_errors()
    {
        string path = Fixtures.TempCopy("convpass.pt", out var dir);
        byte[] full = File.ReadAllBytes(path);
        foreach (int cut in new[] { 10, full.Length / 3, full.Length - 30 })
        {
            string p = Path.Combine(dir, $"cut{cut}.pt");
            File.WriteAllBytes(p, full[..cut]);
            Assert.Throws<SlsInputException>(() => { using var c = CheckpointFile.Open(p); CheckpointFile.ReadAll(c); });
        }

        // A storage entry shorter than the pickle says: inconsistent, refused at open.
        string shortStorage = Path.Combine(dir, "short.pt");
        File.Copy(path, shortStorage);
        using (var zip = ZipFile.Open(shortStorage, ZipArchiveMode.Update))
        {
            var entry = zip.Entries.First(e => e.FullName.Contains("/data/", StringComparison.Ordinal));
            string name = entry.FullName;
            entry.Delete();
            using var s = zip.CreateEntry(name).Open();
            s.Write(new byte[4]);
        }
        var ex = Assert.Throws<SlsInputException>(() => CheckpointFile.Open(shortStorage).Dispose());
        Assert.Contains("expected", ex.Message, StringComparison.Ordinal);
    }
}
