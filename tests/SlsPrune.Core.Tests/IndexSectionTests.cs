using System.Text.Json.Nodes;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Tests;

/// <summary>Index version 3: each method's own fields live in its section (under its name, with its own version);
/// version 1 and 2 files read unchanged, their top-level fields moved into the section; the section's errors name the
/// field as the file spells it.</summary>
public class IndexSectionTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "index", name);

    /// <summary>Every top-level field of <paramref name="old"/> (but the version) has its value in <paramref name="now"/>:
    /// at the top level, or in the method's section.</summary>
    public static IReadOnlyList<string> Missing(JsonObject old, JsonObject now)
    {
        var section = now[(string)old["method"]!] as JsonObject;
        return old.Where(kv => kv.Key != "version")
            .Where(kv => !JsonNode.DeepEquals(kv.Value, now.ContainsKey(kv.Key) ? now[kv.Key] : section?[kv.Key]))
            .Select(kv => kv.Key).ToList();
    }

    [Fact]
    public void A_version_2_index_of_the_shipped_model_reads_into_the_sls_section_and_writes_every_old_value_back_in_version_3()
    {
        // written by sls prune (version 2) on models/fmnist-vit8, structured-location, before the sections
        string v2 = Fixture("fmnist-vit8-v2.sls.json");
        var index = PruningIndex.Load(v2);
        var sls = SlsSection.Of(index);
        Assert.Equal((0.3, 8, "alpha"), (sls.Alpha, sls.Scores!.Count, sls.Policy));
        Assert.Equal(0.089740524121249804, sls.Scores[3], 12);
        Assert.Equal(SlsPolicy.Decide(sls.Scores, sls.Alpha).KeptBlocks, index.KeptBlocks.Count);
        Assert.StartsWith("exact", sls.Tsne!.Method, StringComparison.Ordinal);

        string dir = Directory.CreateTempSubdirectory("sls-v3-").FullName;
        try
        {
            string v3 = Path.Combine(dir, "v3.sls.json");
            index.Save(v3);
            var old = JsonNode.Parse(File.ReadAllText(v2))!.AsObject();
            var now = JsonNode.Parse(File.ReadAllText(v3))!.AsObject();
            Assert.Equal((3, 1), ((int)now["version"]!, (int)now["sls"]!["version"]!));
            Assert.Empty(Missing(old, now));
            Assert.False(now.ContainsKey("alpha"));   // moved, not copied
            var back = SlsSection.Of(PruningIndex.Load(v3));
            Assert.Equal(sls.Scores, back.Scores!);
            Assert.Equal(sls.AlphaSweep!, back.AlphaSweep!);
            Assert.Equal(sls with { Scores = null, AlphaSweep = null }, back with { Scores = null, AlphaSweep = null });
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_version_1_index_reads_unchanged()
    {
        var index = PruningIndex.Load(Path.Combine(AppContext.BaseDirectory, "hostile", "seeds", "index.sls.json"));
        var sls = SlsSection.Of(index);
        Assert.Equal((0.3, 30.0), (sls.Alpha, sls.Tsne!.Perplexity));
        Assert.Equal([0.1, 0.2, 0.3], sls.Scores!);
    }

    [Theory]
    [InlineData("""{"version": 1, "alpha": 0.5, "scores": [0.1, "x", 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]}""",
        "not a valid pruning index: field 'sls.scores[1]' must be a number")]
    [InlineData("""{"version": 1, "alpha": 0.5, "scores": [0.1, 0.2]}""", "field 'sls.scores' has 2 scores for depth 8")]
    [InlineData("""{"version": 1, "scores": [0.1, 0.2]}""", "not a valid pruning index: field 'sls' lacks 'alpha'")]
    [InlineData("""{"version": 2, "alpha": 0.5}""", "field 'sls.version' is 2, newer than this tool reads (1)")]
    [InlineData("""{"alpha": 0.5}""", "field 'sls.version' is missing or null")]
    [InlineData("""[1]""", "not a valid pruning index: field 'sls' must be an object")]
    [InlineData("""
        {"version": 1, "alpha": 0.5,
         "tsne": {"components": 2, "perplexity": 30, "early_exaggeration": 12, "max_iter": 1000, "init": "pca", "method": "exact"}}
        """, "field 'sls.tsne.learning_rate' is missing or null")]
    [InlineData("""{"version": 1, "alpha": 0.5, "scores_from_top": [{"layer": 3, "score": 0.1}]}""",
        "sls.scores_from_top must list layers 8, 7, ... down to a layer above 1, in that order, in place of scores")]
    [InlineData(null, "field 'sls' is missing or null (the sls method's section)")]
    public void A_broken_section_is_refused_naming_its_field(string? section, string problem)
    {
        string dir = Directory.CreateTempSubdirectory("sls-v3-").FullName;
        try
        {
            string path = Path.Combine(dir, "x.sls.json");
            PruningIndex.Load(Fixture("fmnist-vit8-v2.sls.json")).Save(path);
            var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            json.Remove("sls");
            if (section is not null) json["sls"] = JsonNode.Parse(section);
            File.WriteAllText(path, json.ToJsonString());
            var e = Assert.Throws<SlsInputException>(() => PruningIndex.Load(path));
            Assert.Equal((path, problem), (e.Subject, e.Problem));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Methods_without_an_alpha_record_none_and_their_sections_read_back()
    {
        var width = new PruningIndex
        {
            Method = "depgraph", Metric = "taylor", Depth = 2, KeptBlocks = [1, 2], Decision = "d",
            Width = [new BlockWidthEntry(1, [0], [1, 2]), new BlockWidthEntry(2, [1], [0])],
            Section = new WidthSection { Ratio = 0.5, PrunedTensorBytes = 1234 },
            Backbone = new FileFingerprint("b.safetensors", new string('0', 64)), Calibration = new CalibrationInfo("t", "s", 10, 2, 0),
        };
        string dir = Directory.CreateTempSubdirectory("sls-v3-").FullName;
        try
        {
            string path = Path.Combine(dir, "w.sls.json");
            width.Save(path);
            var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            Assert.DoesNotContain("alpha", json.Select(kv => kv.Key).Concat(json["depgraph"]!.AsObject().Select(kv => kv.Key)));
            var back = PruningIndex.Load(path);
            Assert.Equal(width.Section, back.Section);
            Assert.Equal(["The index stores kept-index lists; storing the pruned tensors instead would take 1,234 bytes per task"],
                back.Section!.Summary(back));
            // a version 2 width index (top-level ratio, and the alpha every method recorded then) reads into the section
            json["version"] = 2;
            json.Remove("depgraph");
            json["ratio"] = 0.25;
            json["alpha"] = 0.5;
            File.WriteAllText(path, json.ToJsonString());
            Assert.Equal(new WidthSection { Ratio = 0.25 }, PruningIndex.Load(path).Section);
        }
        finally { Directory.Delete(dir, true); }
    }
}
