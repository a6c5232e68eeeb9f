using System.Text.Json;
using SlsPrune.Core.Checkpoints;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>The scikit-learn fixtures of scripts/make_sls_fixtures.py.</summary>
internal static class SlsFixtures
{
    public static readonly string[] Sets = ["separating", "dip", "overlap", "imbalanced"];

    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "fixtures", "sls");

    private static readonly Lazy<Dictionary<string, torch.Tensor>> TensorsLazy = new(() =>
    {
        using var f = SafetensorsFile.Open(Path.Combine(Dir, "sls.safetensors"));
        return CheckpointFile.ReadAll(f);
    });

    private static readonly Lazy<JsonElement> MetaLazy = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "sls.json"))).RootElement.Clone());

    public static torch.Tensor Tensor(string name) => TensorsLazy.Value[name];

    public static long[] Labels(string set) => Tensor($"{set}.labels").data<long>().ToArray();

    public static JsonElement Layer(string set, int layer) => MetaLazy.Value.GetProperty("sets").GetProperty(set).GetProperty("layers")[layer];

    public static int Layers(string set) => MetaLazy.Value.GetProperty("sets").GetProperty(set).GetProperty("layers").GetArrayLength();

    public static JsonElement Meta => MetaLazy.Value;
}
