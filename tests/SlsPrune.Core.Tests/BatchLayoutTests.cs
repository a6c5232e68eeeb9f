using System.Text.Json;
using SlsPrune.Core.Batch;

namespace SlsPrune.Core.Tests;

/// <summary>A batch manifest over an ImageFolder tree and a CSV list gives the results of the same images as a VTAB-1k
/// folder: the split names and the CSV's columns are manifest settings.</summary>
[Collection(nameof(GlobalTorchRng))]
public class BatchLayoutTests
{
    [Fact]
    public void A_manifest_over_a_tree_and_a_csv_gives_the_vtab_folders_results()
    {
        var (vtab, tree, csv) = DataLayoutTests.Layouts();
        string dir = Directory.CreateTempSubdirectory("sls-batch-layouts-").FullName;
        var settings = new Dictionary<string, object>
        {
            ["stages"] = new[] { "train", "prune", "eval" }, ["petl_method"] = "linear", ["epochs"] = 2,
            ["warmup_epochs"] = 0, ["batch_size"] = 16, ["heads"] = 3, ["device"] = "cpu", ["method"] = "bi", ["keep_blocks"] = 2
        };
        var manifest = new
        {
            backbone = Fixtures.File("backbone.safetensors"),
            defaults = settings,
            tasks = new object[]
            {
                new { name = "vtab", data = vtab },
                new { name = "tree", data = tree, settings = new { split = "train" } },
                new { name = "csv", data = csv, settings = new { split = "train", path_column = "file", label_column = "class" } },
            },
        };
        string path = Path.Combine(dir, "m.json");
        File.WriteAllText(path, JsonSerializer.Serialize(manifest));
        var summary = BatchRunner.Run(new BatchOptions(path, Path.Combine(dir, "out")));
        Assert.Equal((3, 0), (summary.Ran, summary.Failed));

        JsonElement Result(string task) => JsonDocument.Parse(File.ReadAllText(BatchRunner.ResultPath(Path.Combine(dir, "out"), task))).RootElement;
        var v = Result("vtab");
        foreach (var other in new[] { "tree", "csv" })
        {
            var r = Result(other);
            Assert.Equal("ok", r.GetProperty("status").GetString());
            Assert.Equal(v.GetProperty("train").GetProperty("final_loss").GetDouble(), r.GetProperty("train").GetProperty("final_loss").GetDouble(),
                12);
            Assert.Equal(v.GetProperty("full").GetProperty("correct").GetInt32(), r.GetProperty("full").GetProperty("correct").GetInt32());
            Assert.Equal(v.GetProperty("pruned").GetProperty("correct").GetInt32(), r.GetProperty("pruned").GetProperty("correct").GetInt32());
        }
        Assert.Equal(30, v.GetProperty("full").GetProperty("images").GetInt32());
    }

    [Fact]
    public void Class_names_travel_in_the_petl_file_to_data_that_has_none()
    {
        var (vtab, tree, _) = DataLayoutTests.Layouts();
        string petl = Path.Combine(Directory.CreateTempSubdirectory("sls-names-").FullName, "p.safetensors");
        var model = new ModelOptions(Fixtures.File("backbone.safetensors"), Heads: 3, Device: "cpu", BatchSize: 16);
        PetlTrainer.Run(new TrainOptions(model, tree, new PetlSettings(PetlMethods.Linear), petl, Epochs: 1, WarmupEpochs: 0, EvalEvery: 1,
            TrainSplit: "train", EvalSplit: "test"));
        using (var f = Checkpoints.SafetensorsFile.Open(petl))
            Assert.Equal("""["a cat","b \u00F1and\u00FA","c \u732B"]""", f.Metadata["class_names"]);
        var r = EvalRunner.Run(new EvalOptions(model with { Petl = petl }, vtab));   // the VTAB copy names no classes
        Assert.Equal(DataLayoutTests.Names, r.ClassNames!);
    }
}
