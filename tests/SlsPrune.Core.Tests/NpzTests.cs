using SlsPrune.Core.Checkpoints;
using TorchSharp;

namespace SlsPrune.Core.Tests;

public class NpzTests
{
    [Fact]
    public void Google_layout_maps_to_the_exact_timm_state_dict()
    {
        using var npz = StateDictFile.Open(Fixtures.File("backbone.npz"));
        Assert.Equal(CheckpointFormat.NumpyNpz, npz.Format);
        Assert.Equal("google-npz", npz.Converter.Name);
        Assert.Contains(npz.Tensors, t => t.Name == "Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel"
            && t.Shape.SequenceEqual(new long[] { 48, 3, 16 }));
        var mapped = npz.Read();
        using var st = CheckpointFile.Open(Fixtures.File("backbone.safetensors"));
        var expected = CheckpointFile.ReadAll(st);
        Assert.Equal(expected.Keys.Order(), mapped.Keys.Order());
        foreach (var (k, v) in expected) Assert.True(Fixtures.Same(v, mapped[k]), k);
    }

    [Fact]
    public void Timm_shapes_of_an_npz_match_without_reading_data()
    {
        using var npz = StateDictFile.Open(Fixtures.File("backbone.npz"));
        var shapes = npz.Shapes;
        Assert.Equal(new long[] { 144, 48 }, shapes["blocks.2.attn.qkv.weight"]);
        Assert.Equal(new long[] { 48, 3, 8, 8 }, shapes["patch_embed.proj.weight"]);
        Assert.Equal(new long[] { 7, 48 }, shapes["head.weight"]);
    }

    [Fact]
    public void Truncated_npz_gives_an_input_error()
    {
        string path = Fixtures.TempCopy("backbone.npz", out var dir);
        byte[] full = File.ReadAllBytes(path);
        foreach (int cut in new[] { 4, full.Length / 2, full.Length - 10 })
        {
            string p = Path.Combine(dir, $"cut{cut}.npz");
            File.WriteAllBytes(p, full[..cut]);
            Assert.Throws<SlsInputException>(() => { using var c = CheckpointFile.Open(p); CheckpointFile.ReadAll(c); });
        }
    }
}
