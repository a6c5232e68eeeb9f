using System.Text.Json.Nodes;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.IO;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>No silent wrong answer and no lost input: a PETL file trained on another backbone, a non-finite scale,
/// a head count the variants table contradicts, and outputs that would overwrite an input or land on a folder.</summary>
public class TrustTests
{
    private static string Dir() => Directory.CreateTempSubdirectory("sls-trust-").FullName;

    /// <summary>The linear fixture rewritten with extra metadata.</summary>
    private static string PetlWith(string dir, Dictionary<string, string> metadata)
    {
        using var f = SafetensorsFile.Open(Fixtures.File("linear.safetensors"));
        var tensors = CheckpointFile.ReadAll(f);
        var meta = f.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (k, v) in metadata) meta[k] = v;
        string path = Path.Combine(dir, "petl.safetensors");
        SafetensorsWriter.Write(path, tensors, meta);
        return path;
    }

    [Fact]
    public void A_petl_file_trained_on_another_backbone_is_refused_with_both_hashes_unless_allowed()
    {
        string petl = PetlWith(Dir(), new() { ["backbone_sha256"] = new string('a', 64) });
        var options = new ModelOptions(Fixtures.File("backbone.safetensors"), petl, Heads: 3);
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(options));
        string sha = FileHash.Sha256(Fixtures.File("backbone.safetensors"));
        Assert.Equal($"{petl}: PETL file was trained on a different backbone (SHA-256 aaaaaaaaaaaa..., {Fixtures.File("backbone.safetensors")} has "
            + $"{sha[..12]}...); pass --allow-mismatch to use it anyway", e.Message);
        using var allowed = ModelFactory.Build(options with { AllowMismatch = true });
        Assert.Equal(5, allowed.Model.NumClasses);

        string right = PetlWith(Dir(), new() { ["backbone_sha256"] = sha.ToUpperInvariant() });
        using var matching = ModelFactory.Build(options with { Petl = right });
        Assert.Equal(5, matching.Model.NumClasses);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void A_non_finite_petl_scale_is_refused_before_torch_sees_it(string scale)
    {
        string dir = Dir();
        using var f = SafetensorsFile.Open(Fixtures.File("convpass.safetensors"));
        var tensors = CheckpointFile.ReadAll(f);
        var meta = f.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        meta["petl_scale"] = scale;
        string path = Path.Combine(dir, "convpass.safetensors");
        SafetensorsWriter.Write(path, tensors, meta);
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(Fixtures.File("backbone.safetensors"), path, Heads: 3)));
        Assert.Equal($"{path}: metadata petl_scale '{scale}' is not a finite number", e.Message);
        var flag = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(Fixtures.File("backbone.safetensors"),
            Fixtures.File("convpass.pt"), Heads: 3, PetlScale: double.NaN)));
        Assert.Equal("--petl-scale: NaN is not a finite number", flag.Message);
    }

    [Fact]
    public void Heads_that_contradict_the_variants_table_are_refused_unless_a_variant_is_named()
    {
        // a one-block ViT of width 192 (ViT-Ti's: 3 heads in the table)
        string dir = Dir(), path = Path.Combine(dir, "tiny.safetensors");
        torch.manual_seed(1);
        using (var vit = new VisionTransformer(new VitConfig(8, 2, 192, 1, 3, 16, 4), PetlSettings.None))
            SafetensorsWriter.Write(path, vit.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value));
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(path, Heads: 6)));
        Assert.Equal("--heads: 6 contradicts the variants table: ViTs of width 192 have 3 heads; name the variant with --model if yours really has 6",
            e.Message);
        using var ok = ModelFactory.Build(new ModelOptions(path, Heads: 3));
        using var named = ModelFactory.Build(new ModelOptions(path, Heads: 6, ModelName: "vit_tiny_patch16_224"));
        Assert.Equal(6, Fixtures.Vit(named).Config.Heads);
    }

    [Fact]
    public void Outputs_onto_an_input_a_folder_or_a_file_for_plots_are_refused_before_anything_is_written()
    {
        string task = TrainingTests.PatternTask(), dir = Dir();
        string petl = Path.Combine(dir, "petl.safetensors");
        File.Copy(Fixtures.File("convpass.safetensors"), petl);
        string before = FileHash.Sha256(petl);
        var model = new ModelOptions(Fixtures.File("backbone.safetensors"), petl, Heads: 3, Device: "cpu");
        var sls = PruneMethods.Get("sls");

        var onto = Assert.Throws<SlsInputException>(() => PruneRunner.Run(PruneOptions.For(model, task, sls, output: petl)));
        Assert.Equal($"{petl}: is one of this run's inputs; --out would replace it (choose another path)", onto.Message);
        var folder = Assert.Throws<SlsInputException>(() => PruneRunner.Run(PruneOptions.For(model, task, sls, output: dir)));
        Assert.Equal($"{dir}: is a folder; --out names a file to write", folder.Message);
        string index = Path.Combine(dir, "x.sls.json");
        var plots = Assert.Throws<SlsInputException>(() => PruneRunner.Run(PruneOptions.For(model, task, sls, output: index) with
        {
            MethodOptions = sls.ReadOptions(new JsonObject { ["plots"] = petl }, "test"),
        }));
        Assert.Equal($"{petl}: is a file; --plots names a folder", plots.Message);

        var train = Assert.Throws<SlsInputException>(() => PetlTrainer.Run(new TrainOptions(model with { Petl = null }, task,
            new PetlSettings(new ConvpassMethod(), 8, 1.0), Fixtures.File("backbone.safetensors"), Epochs: 1)));
        Assert.Equal($"{Fixtures.File("backbone.safetensors")}: is one of this run's inputs; --out would replace it (choose another path)",
            train.Message);
        Assert.Equal(before, FileHash.Sha256(petl));
        Assert.Equal(["petl.safetensors"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Rerunning_a_finished_training_reports_it_as_it_was_and_other_settings_are_refused()
    {
        string task = TrainingTests.PatternTask(), dir = Dir(), output = Path.Combine(dir, "p.safetensors");
        var o = new TrainOptions(new ModelOptions(Fixtures.File("backbone.safetensors"), Heads: 3, Device: "cpu", BatchSize: 16), task,
            new PetlSettings(PetlMethods.Linear), output, Epochs: 2, WarmupEpochs: 0, Lr: 5e-3, EvalEvery: 1);
        var first = PetlTrainer.Run(o);
        var again = PetlTrainer.Run(o);
        Assert.Equal((2, first.FinalLoss, first.BestAccuracy, 0), (again.ResumedFromEpoch, again.FinalLoss, again.BestAccuracy, again.History.Count));
        Assert.True(double.IsFinite(again.FinalLoss!.Value));

        string state = PetlTrainer.StatePath(output);
        var e = Assert.Throws<SlsInputException>(() => PetlTrainer.Run(o with { Lr = 1e-2, Seed = 4 }));
        Assert.Equal($"{state}: training state is of a run with other settings (lr 0.005 -> 0.01, seed 0 -> 4); rerun with --no-resume to start over",
            e.Message);
        var fresh = PetlTrainer.Run(o with { Lr = 1e-2, Resume = false });
        Assert.Equal(0, fresh.ResumedFromEpoch);

        using (var f = SafetensorsFile.Open(state))
        {
            var tensors = CheckpointFile.ReadAll(f);
            tensors.Remove("train.best_epoch");
            SafetensorsWriter.Write(state, tensors, f.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value));
        }
        var missing = Assert.Throws<SlsInputException>(() => PetlTrainer.Run(o with { Lr = 1e-2 }));
        Assert.Equal($"{state}: training state lacks 'train.best_epoch'", missing.Message);
    }
}
