using System.Text.Json.Nodes;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Tests;

/// <summary>The runners called directly, without the command line: train, prune by two methods from the registry,
/// evaluate the pruned model through the same factory, and the typed method options read from settings.</summary>
public class RunnerSeamTests
{
    [Fact]
    public void Train_prune_and_eval_runners_work_together_without_the_cli()
    {
        string task = TrainingTests.PatternTask();
        string dir = Directory.CreateTempSubdirectory("sls-seam-").FullName;
        string petl = Path.Combine(dir, "petl.safetensors");
        var model = new ModelOptions(Fixtures.File("backbone.safetensors"), Heads: 3, Device: "cpu", BatchSize: 16);
        PetlTrainer.Run(new TrainOptions(model, task, new PetlSettings(new ConvpassMethod(), 8, 1.0), petl, Epochs: 3, WarmupEpochs: 1, Lr: 5e-3,
            EvalEvery: 1));
        var withPetl = model with { Petl = petl };

        // bi with a budget of 2 blocks: the options record from settings, as the command line and manifests give them
        var bi = PruneMethods.Get("bi");
        string index = Path.Combine(dir, "bi.sls.json");
        var r = PruneRunner.Run(new PruneOptions(withPetl, task, bi, bi.ReadOptions(new JsonObject { ["keep_blocks"] = 2 }, "test"), Out: index));
        Assert.Equal("bi", r.Index.Method);
        Assert.Equal(2, r.Index.KeptBlocks.Count);
        Assert.Equal(3, r.Index.Section!.Curve(r.Index)!.Scores.Count);
        Assert.Equal(FileHash.Sha256(petl), r.Index.Petl!.Sha256);

        var full = EvalRunner.Run(new EvalOptions(withPetl, task));
        var pruned = EvalRunner.Run(new EvalOptions(withPetl, task, index));
        Assert.Equal((3, 3, false), (full.Depth, full.Blocks, full.Pruned));
        Assert.Equal((3, 2, true), (pruned.Depth, pruned.Blocks, pruned.Pruned));
        Assert.True(pruned.FlopsPerImage < full.FlopsPerImage);
        Assert.Equal(30, pruned.Images);

        // sls at its defaults except alpha, scoring every layer (with the default, auto, how many layers are scored
        // depends on the scores); the decision is the policy's on the scores it wrote
        var sls = PruneMethods.Get("sls");
        var s = PruneRunner.Run(PruneOptions.For(withPetl, task, sls, output: Path.Combine(dir, "sls.sls.json")) with
        {
            MethodOptions = sls.ReadOptions(new JsonObject { ["alpha"] = 0.9, ["perplexity"] = 10.0, ["scoring"] = "all" }, "test"),
        });
        Assert.Equal(SlsPolicy.Decide(SlsSection.Of(s.Index).Scores!, 0.9).KeptBlocks, s.Index.KeptBlocks.Count);
        Assert.Equal(0.9, SlsSection.Of(s.Index).Alpha);
    }

    [Fact]
    public void Method_options_take_their_defaults_and_refuse_a_wrong_type_by_name()
    {
        var spa = (SpaOptions)PruneMethods.Get("spa").ReadOptions(new JsonObject { ["alpha"] = 0.5 }, "m.yaml"); // another method's key is left alone
        Assert.Equal((WidthCriterion.L1, WidthUnit.Heads, (double?)null), (spa.Importance, spa.WidthUnit, spa.Ratio));
        var dep = (WidthOptions)PruneMethods.Get("depgraph").ReadOptions(new JsonObject
        {
            ["importance"] = "l2", ["width_unit"] = "dims", ["ratio"] = 0.25
        }, "m.yaml");
        Assert.Equal((WidthCriterion.L2, WidthUnit.Dims, (double?)0.25), (dep.Importance, dep.WidthUnit, dep.Ratio));
        var e = Assert.Throws<SlsInputException>(() => PruneMethods.Get("sls").ReadOptions(new JsonObject { ["alpha"] = "high" }, "m.yaml"));
        Assert.Equal("m.yaml: setting 'alpha' has the wrong type or value", e.Message);
    }

    [Fact]
    public void A_backbone_with_its_own_head_prunes_and_evaluates_without_a_petl_file()
    {
        string task = TrainingTests.PatternTask(), dir = Directory.CreateTempSubdirectory("sls-ownhead-").FullName;
        // its head has 7 classes, used deliberately on a 3-class task
        var model = new ModelOptions(Fixtures.File("backbone.safetensors"), Heads: 3, Device: "cpu", BatchSize: 16) { AllowClassMismatch = true };
        var bi = PruneMethods.Get("bi");
        string index = Path.Combine(dir, "own.sls.json");
        var r = PruneRunner.Run(new PruneOptions(model, task, bi, bi.ReadOptions(new JsonObject { ["keep_blocks"] = 2 }, "test"), Out: index));
        Assert.Null(r.Index.Petl);
        Assert.Null(PruningIndex.Load(index).Petl);
        var pruned = EvalRunner.Run(new EvalOptions(model, task, index));
        var full = EvalRunner.Run(new EvalOptions(model, task));
        Assert.Equal((2, 3, 30), (pruned.Blocks, full.Blocks, pruned.Images));

        // an index computed with a PETL file needs it back
        string withPetl = Path.Combine(dir, "petl.sls.json");
        PruneRunner.Run(new PruneOptions(model with { Petl = Fixtures.File("convpass.safetensors") }, task, bi,
            bi.ReadOptions(new JsonObject { ["keep_blocks"] = 2 }, "test"), Out: withPetl));
        var e = Assert.Throws<SlsInputException>(() => EvalRunner.Run(new EvalOptions(model, task, withPetl)));
        Assert.Equal($"{withPetl}: was computed with a PETL file: give it with --petl", e.Message);
    }
}
