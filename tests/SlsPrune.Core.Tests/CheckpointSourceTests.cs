using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Tests;

/// <summary>Every checkpoint layout resolved in one place: a file, a Hugging Face folder, a PEFT adapter folder (a
/// PETL source only), each with its files, bytes and fingerprint.</summary>
public class CheckpointSourceTests
{
    private static string Fixture(string path) => Path.Combine(AppContext.BaseDirectory, "fixtures", path);

    [Fact]
    public void A_peft_folder_is_a_petl_source_with_its_config_and_weights()
    {
        string dir = Fixture(Path.Combine("peft", "hf_qv"));
        var source = CheckpointSource.ResolvePetl(dir);
        Assert.True(source.IsPeftAdapter);
        string config = Path.Combine(dir, "adapter_config.json"), weights = Path.Combine(dir, "adapter_model.safetensors");
        Assert.Equal([config, weights], source.Files);
        Assert.Equal(weights, source.WeightsFile);
        Assert.Equal(new FileInfo(config).Length + new FileInfo(weights).Length, source.Bytes);
        // the fingerprint indexes and results recorded before: the manifest of the config, then the weights
        Assert.Equal(FileHash.Manifest([config, weights]), source.Fingerprint().Sha256);
        Assert.Equal(Path.GetFullPath(dir), source.Fingerprint().Path);
        var e = Assert.Throws<SlsInputException>(() => CheckpointSource.Resolve(dir));
        Assert.StartsWith($"{dir}: is a PEFT adapter folder (adapter_config.json): sls reads it only as --petl", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_petl_source_is_a_file_or_a_peft_folder()
    {
        string file = Fixture(Path.Combine("peft", "expected.safetensors"));
        var source = CheckpointSource.ResolvePetl(file);
        Assert.False(source.IsPeftAdapter);
        Assert.Equal([file], source.Files);
        Assert.Equal(FileHash.Fingerprint(file), source.Fingerprint());
        string hf = Fixture(Path.Combine("layouts", "hf_vit"));
        Assert.False(CheckpointSource.Resolve(hf).IsPeftAdapter);
        var e = Assert.Throws<SlsInputException>(() => CheckpointSource.ResolvePetl(hf));
        Assert.Equal($"{hf}: is a folder without adapter_config.json; --petl expects a PETL file (.safetensors, as sls train writes) or a PEFT "
            + $"adapter folder", e.Message);
    }
}
