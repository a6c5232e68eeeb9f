using System.Text.Json.Nodes;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Export;
using SlsPrune.Core.Models.Swin;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>Width pruning on the Swin fixture (depths 2-2-2-2, heads 1-2-2-4, widths 4-8-16-32, window 3, MLP ratio 2):
/// a model built from a width plan gives the full model's logits where the dropped heads' proj columns and the
/// dropped units' fc2 columns are zeroed (they then contribute nothing), with LoRA on qkv, SPLoRA and the adapters; the
/// kept heads keep their bias table columns; narrower blocks export to safetensors (reloaded by shape) and to ONNX.
/// The fixture's bias tables are scaled up so that a wrong column shows in the logits.</summary>
[Collection(nameof(GlobalTorchRng))]
public class SwinWidthTests
{
    private static string File(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "swin", name);

    private static torch.Tensor Images() => SwinImages.Value;

    private static readonly Lazy<torch.Tensor> SwinImages = new(() =>
    {
        using var f = SafetensorsFile.Open(File("expected.safetensors"));
        using var _ = torch.no_grad();
        var images = CheckpointFile.ReadAll(f)["a.images"];
        // four images: the fixture's two and their mirror images
        return torch.cat([images, images.flip(3)], 0).DetachFromDisposeScope();
    });

    /// <summary>The fixture "a" with every relative position bias table x 50 (the fixture's ~0.02 entries hardly move
    /// the logits), as internal-named safetensors.</summary>
    private static readonly Lazy<string> Backbone = new(() =>
    {
        using var src = StateDictFile.Open(File("a.pth"));
        var w = src.Read();
        foreach (var k in w.Keys.Where(k => k.EndsWith(".relative_position_bias_table", StringComparison.Ordinal)).ToList())
            w[k] = w[k].mul(50);
        string path = Path.Combine(Directory.CreateTempSubdirectory("sls-swin-width-").FullName, "a-bias.safetensors");
        SafetensorsWriter.Write(path, w);
        return path;
    });

    private static ModelOptions Options(string? petl = null) =>
        new(Backbone.Value, petl is null ? null : File(petl), ImageSize: 32, Device: "cpu", AllowMismatch: true);

    private static int[] Range(int n, Func<int, bool>? where = null) => Enumerable.Range(0, n).Where(where ?? (_ => true)).ToArray();

    /// <summary>Blocks of every stage narrowed differently: heads only, units only, both; stage 4 narrowed in both blocks.</summary>
    private static ModelPlan Mixed(int[]? kept = null) => new(8, kept ?? Range(8), new Dictionary<int, BlockWidth>
    {
        [0] = new([0], [1, 5, 6]),
        [2] = new([1], Range(16, u => u % 2 == 0)),
        [3] = new([0, 1], Range(16, u => u != 3)),
        [5] = new([0], Range(32)),
        [6] = new([0, 2], Range(64, u => u % 3 != 1)),
        [7] = new([3], Range(64, u => u >= 10 && u < 40)),
    }.Where(kv => kept is null || kept.Contains(kv.Key)).ToDictionary());

    /// <summary>Every block narrowed to its leading half of the heads (at least one) and one unit fewer than its width,
    /// so no block is as wide as the file's MLP ratio says.</summary>
    private static ModelPlan Uniform()
    {
        int[] stageHeads = [1, 1, 2, 2, 2, 2, 4, 4], widths = [4, 4, 8, 8, 16, 16, 32, 32];
        return new(8, Range(8), Range(8).ToDictionary(b => b, b => new BlockWidth(Range(Math.Max(1, stageHeads[b] / 2)), Range(widths[b] - 1))));
    }

    /// <summary>The pruned model's logits equal those of <paramref name="full"/> with the dropped heads and units zeroed
    /// (which this does to it), and differ from the full model's before.</summary>
    private static void AssertEqualsZeroedFull(BuiltModel pruned, BuiltModel full, ModelPlan plan, torch.Tensor images)
    {
        using var before = full.Model.forward(images);
        ZeroDropped(full, plan);
        using var expected = full.Model.forward(images);
        using var actual = pruned.Model.forward(images);
        Assert.InRange(Fixtures.RelativeError(actual, expected), 0, 1e-5);
        Assert.True(Fixtures.RelativeError(actual, before) > 1e-3, "the plan must change the logits");
    }

    /// <summary>The dropped heads' proj input columns and the dropped units' fc2 columns of <paramref name="full"/> zeroed.</summary>
    private static void ZeroDropped(BuiltModel full, ModelPlan plan)
    {
        var c = Assert.IsType<SwinTransformer>(full.Model).Config;
        var p = full.Model.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        using var _ = torch.no_grad();
        foreach (var (b, w) in plan.Widths!)
        {
            var s = c.BlockSizesOf(b);
            var channels = Range(s.Heads, h => !w.Heads.Contains(h)).SelectMany(h => Enumerable.Range(h * s.HeadDim, s.HeadDim)).Select(i => (long)i)
                .ToArray();
            if (w.HeadDims is { } dims)
                channels = Range(s.Heads).SelectMany(h => Range(s.HeadDim, d => !w.Heads.Contains(h) || !dims.Contains(d)).Select(d => (long)(h
                    * s.HeadDim + d))).ToArray();
            var units = Range(s.MlpHidden, u => !w.MlpUnits.Contains(u)).Select(u => (long)u).ToArray();
            // SPLoRA's A beside proj and fc2 reads the same columns
            foreach (var layer in new[] { "attn.proj.weight", "attn.proj.lora_A.weight" })
                if (channels.Length > 0 && p.TryGetValue($"blocks.{b}.{layer}", out var t)) t.index_fill_(1, torch.tensor(channels), 0);
            foreach (var layer in new[] { "mlp.fc2.weight", "mlp.fc2.lora_A.weight" })
                if (units.Length > 0 && p.TryGetValue($"blocks.{b}.{layer}", out var t)) t.index_fill_(1, torch.tensor(units), 0);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("a_lora.safetensors")]
    public void A_width_plan_gives_the_full_models_logits_with_the_dropped_heads_and_units_zeroed(string? petl)
    {
        var plan = Mixed();
        using var pruned = ModelFactory.Build(Options(petl), plan: plan);
        using var full = ModelFactory.Build(Options(petl));
        var images = Images();
        using var _ = torch.no_grad();
        AssertEqualsZeroedFull(pruned, full, plan, images);
        // every block's pooled output too
        var (fp, _) = pruned.Model.ForwardIntermediates(images);
        var (ff, _) = full.Model.ForwardIntermediates(images);
        Assert.InRange(Fixtures.RelativeError(fp, ff), 0, 1e-5);

        // the narrower tensors: 2 of block 7's 4 heads of 8 dimensions, 43 of its 64 units
        var sd = pruned.Model.state_dict();
        Assert.Equal([48L, 32], sd["blocks.6.attn.qkv.weight"].shape);
        Assert.Equal([32L, 16], sd["blocks.6.attn.proj.weight"].shape);
        Assert.Equal([43L, 32], sd["blocks.6.mlp.fc1.weight"].shape);
        Assert.Equal([32L, 43], sd["blocks.6.mlp.fc2.weight"].shape);
        Assert.Equal([3L, 4], sd["blocks.0.mlp.fc1.weight"].shape);
        if (petl is not null) Assert.Equal([48L, 2], sd["blocks.6.attn.qkv.lora_B.weight"].shape);
        // the same qkv rows as the full model's q, k and v of heads 0 and 2
        long[] rows = [.. new[] { 0, 32, 64 }.SelectMany(s => new[] { 0, 16 }.SelectMany(h => Enumerable.Range(s + h, 8))).Select(i => (long)i)];
        Assert.True(Fixtures.Same(sd["blocks.6.attn.qkv.weight"], full.Model.state_dict()["blocks.6.attn.qkv.weight"].index_select(0,
            torch.tensor(rows))));
        Assert.True(pruned.Model.FlopsPerImage() < full.Model.FlopsPerImage());
    }

    [Fact]
    public void A_kept_head_keeps_its_own_column_of_the_relative_position_bias_table()
    {
        var plan = Mixed();
        using var pruned = ModelFactory.Build(Options(), plan: plan);
        using var full = ModelFactory.Build(Options());
        var sd = pruned.Model.state_dict();
        var table = full.Model.state_dict()["blocks.6.attn.relative_position_bias_table"];
        Assert.Equal([25L, 4], table.shape);
        Assert.True(Fixtures.Same(sd["blocks.6.attn.relative_position_bias_table"], table.index_select(1, torch.tensor(new long[] { 0, 2 }))));
        Assert.True(Fixtures.Same(sd["blocks.7.attn.relative_position_bias_table"],
            full.Model.state_dict()["blocks.7.attn.relative_position_bias_table"][.., 3..4]));
        Assert.Equal([25L, 2], sd["blocks.6.attn.relative_position_bias_table"].shape);
        Assert.Equal([25L, 2], sd["blocks.4.attn.relative_position_bias_table"].shape); // block 5 (stage 3) at full width: both heads

        // the zeroing equivalence sees the columns: with block 7's two columns swapped the logits move
        var images = Images();
        using var _ = torch.no_grad();
        ZeroDropped(full, plan);
        using var expected = full.Model.forward(images);
        var t = pruned.Model.named_parameters().Single(np => np.name == "blocks.6.attn.relative_position_bias_table").parameter;
        using var swapped = t.flip(1);
        t.copy_(swapped);
        Assert.True(Fixtures.RelativeError(pruned.Model.forward(images), expected) > 1e-3, "a wrong column must show");
    }

    public static TheoryData<string> AdapterMethods() => ["convpass", "repadapter", "adaptformer", "splora"];

    [Theory]
    [MemberData(nameof(AdapterMethods))]
    public void Adapters_in_width_pruned_blocks_give_the_zeroed_full_models_logits_and_export_to_onnx(string name)
    {
        var method = PetlMethods.ByName(name)!;
        var settings = new PetlSettings(method, 4, 0.5);
        // adapters and a head with random (non-zero) weights, named by the full model's blocks
        torch.manual_seed(11);
        Dictionary<string, torch.Tensor> task;
        using (var fresh = ModelFactory.BuildTrainable(Options(), new TrainableRequest(settings, 3)))
        using (torch.no_grad())
            task = fresh.Model.named_parameters().Where(np => PetlMethods.IsTaskParameter(np.name))
                .ToDictionary(np => np.name, np => torch.randn_like(np.parameter).mul(0.2));
        var plan = Mixed();
        using var pruned = ModelFactory.BuildTrainable(Options(), new TrainableRequest(settings, 3, InitTensors: task), plan: plan);
        using var full = ModelFactory.BuildTrainable(Options(), new TrainableRequest(settings, 3, InitTensors: task));
        pruned.Model.eval();
        full.Model.eval();
        Assert.Contains(pruned.Model.named_parameters(), np => np.name.StartsWith("blocks.6.", StringComparison.Ordinal)
            && method.OwnsParameter(np.name));

        var images = Images();
        using var _ = torch.no_grad();
        AssertEqualsZeroedFull(pruned, full, plan, images);

        string onnx = Path.Combine(Directory.CreateTempSubdirectory("sls-swin-width-onnx-").FullName, $"{name}.onnx");
        ExportRunner.Write(pruned, new OnnxExport(), onnx);
        using var ort = OnnxRuntimeModel.Open(onnx);
        using var fromOrt = ort.Forward(images);
        using var actual = pruned.Model.forward(images);
        Assert.InRange(Fixtures.RelativeError(fromOrt, actual), 0, 1e-4);
    }

    public static TheoryData<string, string?> Exports() => new()
    {
        { "mixed", null },
        { "mixed", "a_lora.safetensors" },
        { "uniform", null },
        { "uniform", "a_lora.safetensors" },
    };

    [Theory]
    [MemberData(nameof(Exports))]
    public void A_width_pruned_swin_exports_to_safetensors_that_reload_by_shape_and_to_onnx(string which, string? petl)
    {
        var plan = which == "mixed" ? Mixed() : Uniform();
        using var pruned = ModelFactory.Build(Options(petl), plan: plan);
        string dir = Directory.CreateTempSubdirectory("sls-swin-width-export-").FullName;
        string st = Path.Combine(dir, "narrow.safetensors"), onnx = Path.Combine(dir, "narrow.onnx");
        ExportRunner.Write(pruned, new SafetensorsExport(), st);
        ExportRunner.Write(pruned, new OnnxExport(), onnx);

        using var reloaded = ModelFactory.Build(new ModelOptions(st, ImageSize: 32, Device: "cpu"));
        var c = Assert.IsType<SwinTransformer>(reloaded.Model).Config;
        Assert.Equal([1, 2, 2, 4], c.Heads);                  // the full head counts, from qkv's rows over the table's columns
        Assert.Equal(which == "mixed" ? 2 : 1, c.MlpRatio);    // the widest block's (the uniform plan leaves none at 2x)
        Assert.Equal(petl is null ? "linear" : "lora", reloaded.Petl.Method.Name);
        foreach (var (b, w) in plan.Widths!)
        {
            var stored = reloaded.Plan.WidthAt(b);
            var (heads, units) = stored is null ? (c.Heads[c.StageOf(b)], c.BlockSizesOf(b).MlpHidden) : (stored.Heads.Count, stored.MlpUnits.Count);
            Assert.Equal((w.Heads.Count, w.MlpUnits.Count), (heads, units));
        }
        foreach (var (k, t) in pruned.Model.state_dict()) Assert.Equal(t.shape, reloaded.Model.state_dict()[k].shape);

        var images = Images();
        using var _ = torch.no_grad();
        using var expected = pruned.Model.forward(images);
        using var again = reloaded.Model.forward(images);
        Assert.InRange(Fixtures.RelativeError(again, expected), 0, 1e-6);
        Assert.Equal(pruned.Model.FlopsPerImage(), reloaded.Model.FlopsPerImage());
        using var ort = OnnxRuntimeModel.Open(onnx);
        using var fromOrt = ort.Forward(images);
        Assert.InRange(Fixtures.RelativeError(fromOrt, expected), 0, 1e-4);
        Assert.Contains("\"heads\":2", ort.Metadata["widths"], StringComparison.Ordinal);
    }

    [Fact]
    public void A_cut_and_narrowed_swin_and_one_with_fewer_head_dimensions_run_in_onnx_as_in_torchsharp()
    {
        string dir = Directory.CreateTempSubdirectory("sls-swin-width-cut-").FullName;
        var images = Images();
        using var _ = torch.no_grad();

        // blocks 1, 4, 7 and 8 kept (stage 3 dropped), the kept ones narrowed as in the mixed plan, LoRA on qkv
        using var cut = ModelFactory.Build(Options("a_lora.safetensors"), plan: Mixed([0, 3, 6, 7]));
        Assert.Equal(4, cut.Model.Depth);
        string onnx = Path.Combine(dir, "cut.onnx");
        ExportRunner.Write(cut, new OnnxExport(), onnx);
        using (var ort = OnnxRuntimeModel.Open(onnx))
            Assert.InRange(Fixtures.RelativeError(ort.Forward(images), cut.Model.forward(images)), 0, 1e-4);

        // every head keeps 2 of its dimensions (logits scaled by the full head dim): the zeroed full model, ONNX; no safetensors
        var dims = new ModelPlan(8, Range(8), Range(8).ToDictionary(b => b, b => new BlockWidth(Range(b < 6 ? (b < 2 ? 1 : 2) : 4), Range(b < 2 ? 8
            : b < 4 ? 16 : b < 6 ? 32 : 64), [1, 3])));
        using var narrow = ModelFactory.Build(Options(), plan: dims);
        using var full = ModelFactory.Build(Options());
        ZeroDropped(full, dims);
        // zeroing proj columns leaves the kept dimensions' logits q.k over all of a head's dimensions: only equal where
        // the dropped dimensions of q and k are zero too
        var p = full.Model.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        var c = Assert.IsType<SwinTransformer>(full.Model).Config;
        for (int b = 0; b < 8; b++)
        {
            var s = c.BlockSizesOf(b);
            var rows = Range(3 * s.Width, r => r % s.HeadDim is not (1 or 3)).Select(r => (long)r).ToArray();
            p[$"blocks.{b}.attn.qkv.weight"].index_fill_(0, torch.tensor(rows), 0);
            p[$"blocks.{b}.attn.qkv.bias"].index_fill_(0, torch.tensor(rows), 0);
        }
        using var expected = narrow.Model.forward(images);
        Assert.InRange(Fixtures.RelativeError(expected, full.Model.forward(images)), 0, 1e-5);
        string dimsOnnx = Path.Combine(dir, "dims.onnx");
        ExportRunner.Write(narrow, new OnnxExport(), dimsOnnx);
        using (var ort = OnnxRuntimeModel.Open(dimsOnnx))
            Assert.InRange(Fixtures.RelativeError(ort.Forward(images), expected), 0, 1e-4);
        string st = Path.Combine(dir, "dims.safetensors");
        var e = Assert.Throws<SlsInputException>(() => ExportRunner.Write(narrow, new SafetensorsExport(), st));
        Assert.Equal("--format: safetensors: a Swin model whose heads keep fewer dimensions would read back from its tensor shapes as a model of "
            + "other heads; export it with --format onnx", e.Message);
        Assert.False(System.IO.File.Exists(st));
    }

    [Fact]
    public void Spa_prunes_a_swin_splora_model_and_its_masked_adapters_build_the_narrowed_model()
    {
        // a SPLoRA file for the Swin (random pairs, fresh head), then spa at ratio 0.5
        var settings = new PetlSettings(PetlMethods.ByName("splora")!, 2, 0.5);
        string dir = Directory.CreateTempSubdirectory("sls-swin-spa-").FullName, petl = Path.Combine(dir, "splora.safetensors");
        torch.manual_seed(12);
        using (var fresh = ModelFactory.BuildTrainable(Options(), new TrainableRequest(settings, 3)))
        using (torch.no_grad())
            SafetensorsWriter.Write(petl, fresh.Model.named_parameters().Where(np => PetlMethods.IsTaskParameter(np.name))
                .ToDictionary(np => np.name, np => torch.randn_like(np.parameter).mul(0.2)), new Dictionary<string, string>
                {
                    ["petl_method"] = "splora", ["petl_scale"] = "0.5"
                });
        var spa = PruneMethods.Get("spa");
        var options = Options() with { Petl = petl, BatchSize = 16 };
        var r = PruneRunner.Run(new PruneOptions(options, TrainingTests.PatternTask(), spa, spa.ReadOptions(new JsonObject { ["ratio"] = 0.5 },
            "test"),
            Out: Path.Combine(dir, "spa.sls.json")));
        Assert.Equal([1, 1, 1, 1, 1, 1, 2, 2], r.Index.Width!.Select(w => w.Heads.Count));
        Assert.Equal([4, 4, 8, 8, 16, 16, 32, 32], r.Index.Width!.Select(w => w.MlpUnits.Count));
        using var masked = StateDictFile.Open(r.PetlPath!);
        Assert.Equal([2L, 16], masked.Shapes["blocks.6.attn.proj.lora_A.weight"]);   // 2 of 4 heads of 8 dimensions
        Assert.Equal([48L, 2], masked.Shapes["blocks.6.attn.qkv.lora_B.weight"]);
        Assert.Equal([32L, 2], masked.Shapes["blocks.6.mlp.fc1.lora_B.weight"]);

        // the index with the masked file, and with the unmasked one, build the same model
        var plan = r.Index.ToPlan();
        using var fromMasked = ModelFactory.Build(options with { Petl = r.PetlPath }, plan: plan);
        using var fromFull = ModelFactory.Build(options, plan: plan);
        var images = Images();
        using var _ = torch.no_grad();
        Assert.True(Fixtures.Same(fromMasked.Model.forward(images), fromFull.Model.forward(images)));
    }

    [Fact]
    public void Lora_merges_into_narrowed_blocks_and_a_bad_width_names_the_index()
    {
        var plan = Mixed();
        using var unmerged = ModelFactory.Build(Options("a_lora.safetensors"), plan: plan);
        using var merged = ModelFactory.Build(Options("a_lora.safetensors") with { Merge = true }, plan: plan);
        Assert.True(merged.Merged);
        var images = Images();
        using var _ = torch.no_grad();
        Assert.InRange(Fixtures.RelativeError(merged.Model.forward(images), unmerged.Model.forward(images)), 0, 1e-5);

        // block 7 is in stage 4 (4 heads, 64 units); block 1 in stage 1 (1 head)
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(Options(), plan: new ModelPlan(8, Range(8),
            new Dictionary<int, BlockWidth> { [0] = new([1], [0]) }), planSource: "i.sls.json"));
        Assert.Equal("i.sls.json: block 1 heads must be distinct, ascending, non-empty and within 0..0", e.Message);
        e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(Options(), plan: new ModelPlan(8, Range(8),
            new Dictionary<int, BlockWidth> { [6] = new([3], [64]) }), planSource: "i.sls.json"));
        Assert.Equal("i.sls.json: block 7 MLP units must be distinct, ascending, non-empty and within 0..63", e.Message);
    }
}
