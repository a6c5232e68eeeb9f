using System.Text.Json;
using SlsPrune.Core;
using SlsPrune.Core.Batch;

namespace SlsPrune.Cli.Tests;

/// <summary>YAML manifests: the same records as JSON, the core schema's scalars, strict errors, and the shipped
/// VTAB-1k manifests.</summary>
public sealed class YamlManifestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sls-yaml-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_yaml_manifest_reads_as_the_same_json_manifest()
    {
        string yaml = Write("m.yaml", """
            # comment
            backbone: b.safetensors
            defaults: &d
              stages: [prune, eval]
              petl_scale: 0.1
              epochs: 30
              alpha: .3
              throughput: false
              device: "cpu"
            tasks:
              - name: a
                data: tasks/a
                group: natural
                classes: 10
                petl: a.safetensors
              - {name: b, data: tasks/b, petl: b.safetensors, settings: {petl_scale: 1e-2, eval_split: '10', lr: +1.5E-3}}
            """);
        string json = Write("m.json", """
            {"backbone": "b.safetensors",
             "defaults": {"stages": ["prune", "eval"], "petl_scale": 0.1, "epochs": 30, "alpha": 0.3, "throughput": false, "device": "cpu"},
             "tasks": [{"name": "a", "data": "tasks/a", "group": "natural", "classes": 10, "petl": "a.safetensors"},
                       {"name": "b", "data": "tasks/b", "petl": "b.safetensors", "settings": {"petl_scale": 0.01, "eval_split": "10", "lr": 0.0015}}]}
            """);
        var y = BatchManifest.Load(yaml);
        var j = BatchManifest.Load(json);
        var opts = new JsonSerializerOptions { WriteIndented = false };
        Assert.Equal(JsonSerializer.Serialize(j, opts), JsonSerializer.Serialize(y, opts));
        Assert.Equal(0.3, y.Defaults.MethodSettings!["alpha"].GetDouble());
        Assert.Equal("10", y.Tasks[1].Settings!.EvalSplit); // quoted: a string, not a number
        Assert.Equal(0.0015, y.Tasks[1].Settings!.Lr);
    }

    [Theory]
    [InlineData("backbone: b\ntasks:\n  - name: a\n    data: x\n    petl: p\n    colour: red\n", "colour")]
    [InlineData("backbone: b\nbackbone: c\ntasks: []\n", "line 2")]
    [InlineData("backbone: b\ntasks:\n  - name: a\n   data: x\n", "line 4")]
    [InlineData("backbone: b\ntasks:\n  - name: a\n    data: x\n    petl: p\n    classes: many\n", "not a valid batch manifest")]
    [InlineData("backbone: b\n---\nbackbone: c\n", "one YAML document")]
    public void Bad_yaml_is_one_clear_input_error(string text, string expected)
    {
        string path = Write("bad.yml", text);
        var e = Assert.Throws<SlsInputException>(() => BatchManifest.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains("bad.yml", e.Message);
    }

    [Theory]
    [InlineData("convpass", 11, "dsprites_loc", 100.0)]
    [InlineData("repadapter", 12, "svhn", 10.0)]
    public void The_vtab1k_manifests_list_the_19_tasks_with_reference_scales(string method, int scaled, string task, double scale)
    {
        var m = BatchManifest.Load(Path.Combine(ShippedModelTests.RepoRoot(), "scripts", "batch", $"vtab1k-{method}.yaml"));
        Assert.Equal(19, m.Tasks.Count);
        Assert.Equal(new[] { ("natural", 7), ("specialized", 4), ("structured", 8) }, m.Tasks.GroupBy(t => t.Group!).Select(g => (g.Key, g.Count())));
        var classes = m.Tasks.ToDictionary(t => t.Name, t => t.Classes);
        Assert.Equal((100, 397, 2, 45, 6, 18, 9), (classes["cifar"], classes["sun397"], classes["patch_camelyon"], classes["resisc45"],
            classes["dmlab"], classes["smallnorb_azi"], classes["smallnorb_ele"]));
        Assert.Equal(method, m.Defaults.PetlMethod);
        Assert.Equal(scaled, m.Tasks.Count(t => t.Settings?.PetlScale is not null));
        Assert.Equal(scale, m.Tasks.Single(t => t.Name == task).Settings!.PetlScale);
        Assert.All(m.Tasks, t => Assert.EndsWith("vtab-1k" + Path.DirectorySeparatorChar + t.Name, m.Resolve(t.Data)));
    }
}
