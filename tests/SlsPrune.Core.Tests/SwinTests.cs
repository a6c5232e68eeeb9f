using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Checkpoints.Converters;
using SlsPrune.Core.Export;
using SlsPrune.Core.Inspection;
using SlsPrune.Core.Models.Swin;
using SlsPrune.Core.Pruning.Baselines;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>The Swin v1 family against torchvision (scripts/make_swin_fixtures.py): logits and every block's
/// pooled output, models keeping some blocks (the later patch mergings still applied), LoRA, the converters,
/// and what the family refuses. Width pruning: <see cref="SwinWidthTests"/>.</summary>
public class SwinTests
{
    private const double Tolerance = 1e-5;

    private static string File(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "swin", name);

    private static readonly Dictionary<string, int> ImageSizes = new() { ["a"] = 32, ["b"] = 40 };

    private static Dictionary<string, torch.Tensor> Expected()
    {
        using var f = SafetensorsFile.Open(File("expected.safetensors"));
        return CheckpointFile.ReadAll(f);
    }

    private static ModelOptions Options(string model, string? petl = null) =>
        new(File($"{model}.pth"), petl is null ? null : File(petl), ImageSize: ImageSizes[model], Device: "cpu");

    private static SwinTransformer Swin(BuiltModel m) => Assert.IsType<SwinTransformer>(m.Model);

    [Theory]
    [InlineData("a", new[] { 2, 2, 2, 2 }, new[] { 1, 2, 2, 4 }, 3, 2)]
    [InlineData("b", new[] { 1, 3, 1 }, new[] { 1, 2, 4 }, 4, 4)]
    public void Logits_and_every_blocks_pooled_output_match_torchvision(string model, int[] depths, int[] heads, int window, int ratio)
    {
        var e = Expected();
        using var built = ModelFactory.Build(Options(model));
        var c = Swin(built).Config;
        Assert.Equal("swin", built.Model.Family);
        Assert.Equal((4, ImageSizes[model], 4, 7), (c.PatchSize, c.ImageSize, c.EmbedWidth, c.NumClasses));
        Assert.Equal(depths, c.Depths);
        Assert.Equal(heads, c.Heads);
        Assert.All(c.Windows, w => Assert.Equal(window, w));
        Assert.Equal(ratio, c.MlpRatio);

        using var _ = torch.no_grad();
        var (features, logits) = built.Model.ForwardIntermediates(e[$"{model}.images"]);
        Assert.InRange(Fixtures.RelativeError(logits!, e[$"{model}.logits"]), 0, Tolerance);
        Assert.Equal(c.Depth, features.shape[0]);
        Assert.Equal(c.FinalWidth, features.shape[2]);
        for (int i = 0; i < c.Depth; i++)
        {
            int width = c.StageWidth(c.StageOf(i));
            Assert.InRange(Fixtures.RelativeError(features[i][.., ..width], e[$"{model}.blocks.{i}"]), 0, Tolerance);
            if (width < c.FinalWidth) Assert.Equal(0.0, features[i][.., width..].abs().max().item<float>()); // zero-padded
        }
        Assert.InRange(Fixtures.RelativeError(built.Model.forward(e[$"{model}.images"]), e[$"{model}.logits"]), 0, Tolerance);
    }

    public static TheoryData<string, string, int[]> Cuts() => new()
    {
        { "a", "k1", [0] },                  // inside stage 1: all three mergings applied by the head
        { "a", "k3", [0, 1, 2] },            // inside stage 2
        { "a", "k5", [0, 1, 2, 3, 4] },      // inside stage 3
        { "a", "k7", [0, 1, 2, 3, 4, 5, 6] },// inside stage 4
        { "a", "odd", [1, 4, 6] },           // any subset: each block keeps its stage and shift
        { "b", "k2", [0, 1] },
        { "b", "k4", [0, 1, 2, 3] },
        { "b", "drop2", [0, 4] },            // a whole stage dropped: its merging still applied
    };

    [Theory]
    [MemberData(nameof(Cuts))]
    public void A_model_keeping_some_blocks_matches_torchvision_with_those_blocks_skipped(string model, string cut, int[] kept)
    {
        var e = Expected();
        using var full = ModelFactory.Build(Options(model));
        int depth = Swin(full).Config.Depth;
        using var pruned = ModelFactory.Build(Options(model), plan: new ModelPlan(depth, kept));
        Assert.Equal(kept.Length, pruned.Model.Depth);
        Assert.Equal(kept, Swin(pruned).Kept);
        Assert.DoesNotContain(pruned.Model.state_dict().Keys, k => k.StartsWith($"blocks.{kept.Length}.", StringComparison.Ordinal));
        using var _ = torch.no_grad();
        var logits = pruned.Model.forward(e[$"{model}.images"]);
        Assert.InRange(Fixtures.RelativeError(logits, e[$"{model}.cut.{cut}"]), 0, Tolerance);
        if (kept.SequenceEqual(Enumerable.Range(0, kept.Length)))
            Assert.True(Fixtures.Same(logits, full.Model.ForwardFirst(e[$"{model}.images"], kept.Length)));
        Assert.True(pruned.Model.FlopsPerImage() < full.Model.FlopsPerImage());
    }

    [Fact]
    public void A_cut_model_never_reads_the_dropped_blocks()
    {
        // Poison every block of stages 3 and 4 (torchvision's features.5 and features.7) with NaN: a model keeping
        // the first three blocks must build and give the clean logits; the full model must refuse the file.
        using var src = CheckpointFile.Open(File("a.pth"));
        var weights = CheckpointFile.ReadAll(src);
        foreach (var k in weights.Keys.Where(k => Regex.IsMatch(k, @"^features\.[57]\.\d+\.") && weights[k].is_floating_point()).ToList())
            weights[k] = torch.full_like(weights[k], double.NaN);
        string dir = Directory.CreateTempSubdirectory("sls-swin-poison-").FullName;
        string poisoned = Path.Combine(dir, "poisoned.safetensors");
        SafetensorsWriter.Write(poisoned, weights);
        var plan = ModelPlan.Leading(8, 3);
        using var clean = ModelFactory.Build(Options("a"), plan: plan);
        using var fromPoisoned = ModelFactory.Build(Options("a") with { Backbone = poisoned }, plan: plan);
        var images = Expected()["a.images"];
        using var _ = torch.no_grad();
        var logits = fromPoisoned.Model.forward(images);
        Assert.False(logits.isnan().any().item<bool>());
        Assert.True(Fixtures.Same(clean.Model.forward(images), logits));
        Assert.Throws<SlsInputException>(() => ModelFactory.Build(Options("a") with { Backbone = poisoned }));
    }

    [Fact]
    public void Lora_on_qkv_and_a_head_only_petl_file_match_torchvision()
    {
        var e = Expected();
        using var lora = ModelFactory.Build(Options("a", "a_lora.safetensors"));
        Assert.Equal("lora", lora.Petl.Method.Name);
        Assert.Equal(3, lora.Model.NumClasses);
        using var _ = torch.no_grad();
        var (features, logits) = lora.Model.ForwardIntermediates(e["a.images"]);
        Assert.InRange(Fixtures.RelativeError(logits!, e["a.lora.logits"]), 0, Tolerance);
        Assert.InRange(Fixtures.RelativeError(features[6], e["a.lora.blocks.6"]), 0, Tolerance);
        Assert.True(Fixtures.RelativeError(features[6], e["a.blocks.6"]) > 0.01, "LoRA must change the blocks");

        using var linear = ModelFactory.Build(Options("a", "a_linear.safetensors"));
        Assert.Equal("linear", linear.Petl.Method.Name);
        Assert.Equal([2, 3], linear.Model.forward(e["a.images"]).shape);
        Assert.True(lora.Model.FlopsPerImage() > linear.Model.FlopsPerImage());
    }

    /// <summary>The fixture's torchvision tensors renamed into timm's layout (&gt;= 0.9, or the older one with the
    /// merging at the end of a stage and stored buffers).</summary>
    private static string TimmCopy(bool old)
    {
        using var src = StateDictFile.Open(File("a.pth"));
        var w = src.Read();
        int[] depths = [2, 2, 2, 2];
        var o = new Dictionary<string, torch.Tensor>();
        foreach (var (k, t) in w)
        {
            string name = k;
            if (BlockKey.Parse(k) is (int b, string rest))
            {
                int s = 0, i = b;
                while (i >= depths[s]) i -= depths[s++];
                name = $"layers.{s}.blocks.{i}.{rest}";
                if (old && rest == "attn.qkv.weight")
                {
                    o[$"layers.{s}.blocks.{i}.attn.relative_position_index"] = torch.zeros(81, dtype: torch.int64);
                    o[$"layers.{s}.blocks.{i}.attn_mask"] = torch.zeros(1, 9, 9);
                }
            }
            else if (k.StartsWith("merges.", StringComparison.Ordinal))
            {
                int s = k[7] - '0';
                name = $"layers.{(old ? s : s + 1)}.downsample.{k[9..]}";
            }
            else if (k.StartsWith("head.", StringComparison.Ordinal) && !old) name = "head.fc." + k[5..];
            o[name] = t;
        }
        string dir = Directory.CreateTempSubdirectory("sls-swin-timm-").FullName;
        string path = Path.Combine(dir, "timm.safetensors");
        SafetensorsWriter.Write(path, o);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_timm_layout_converts_to_the_same_internal_names_and_logits(bool old)
    {
        string timm = TimmCopy(old);
        using var tv = StateDictFile.Open(File("a.pth"));
        using var file = StateDictFile.Open(timm);
        Assert.Equal("torchvision-swin", tv.Converter.Name);
        Assert.Equal("timm-swin", file.Converter.Name);
        Assert.Equal(tv.Shapes.Keys.Order(StringComparer.Ordinal), file.Shapes.Keys.Order(StringComparer.Ordinal));
        foreach (var (k, s) in tv.Shapes) Assert.Equal(s, file.Shapes[k]);
        Assert.Contains("merges.2.reduction.weight", tv.Shapes.Keys);
        Assert.Contains("blocks.7.mlp.fc2.weight", tv.Shapes.Keys);
        Assert.DoesNotContain(tv.Shapes.Keys, k => k.Contains("relative_position_index", StringComparison.Ordinal));

        var e = Expected();
        using var built = ModelFactory.Build(Options("a") with { Backbone = timm });
        using var _ = torch.no_grad();
        Assert.InRange(Fixtures.RelativeError(built.Model.forward(e["a.images"]), e["a.logits"]), 0, Tolerance);
    }

    [Fact]
    public void Converters_map_torchvision_and_timm_names_on_meta_tensors()
    {
        var meta = new Dictionary<string, torch.Tensor>
        {
            ["features.0.0.weight"] = torch.empty(96, 3, 4, 4, device: torch.META),
            ["features.0.2.bias"] = torch.empty(96, device: torch.META),
            ["features.1.1.attn.relative_position_bias_table"] = torch.empty(169, 3, device: torch.META),
            ["features.1.0.attn.relative_position_bias_table"] = torch.empty(169, 3, device: torch.META),
            ["features.1.0.attn.relative_position_index"] = torch.empty(2401, dtype: torch.int64, device: torch.META),
            ["features.2.reduction.weight"] = torch.empty(192, 384, device: torch.META),
            ["features.3.0.mlp.3.weight"] = torch.empty(192, 768, device: torch.META),
            ["features.6.norm.weight"] = torch.empty(1536, device: torch.META),
            ["head.weight"] = torch.empty(1000, 768, device: torch.META),
        };
        var c = StateDictConverters.For(meta.Keys);
        Assert.Equal("torchvision-swin", c.Name);
        Assert.Equal(["blocks.0.attn.relative_position_bias_table", "blocks.1.attn.relative_position_bias_table", "blocks.2.mlp.fc2.weight",
            "head.weight",
            "merges.0.reduction.weight", "merges.2.norm.weight", "patch_embed.norm.bias", "patch_embed.proj.weight"],
            c.Convert(meta, "tv.pth").Keys.Order(StringComparer.Ordinal));

        var timm = new Dictionary<string, torch.Tensor>
        {
            ["patch_embed.proj.weight"] = torch.empty(96, 3, 4, 4, device: torch.META),
            ["layers.0.blocks.0.attn.relative_position_bias_table"] = torch.empty(169, 3, device: torch.META),
            ["layers.0.blocks.1.attn.relative_position_bias_table"] = torch.empty(169, 3, device: torch.META),
            ["layers.1.downsample.reduction.weight"] = torch.empty(192, 384, device: torch.META),
            ["layers.1.blocks.0.mlp.fc1.weight"] = torch.empty(768, 192, device: torch.META),
            ["head.fc.weight"] = torch.empty(1000, 768, device: torch.META),
        };
        c = StateDictConverters.For(timm.Keys);
        Assert.Equal("timm-swin", c.Name);
        Assert.Equal(["blocks.0.attn.relative_position_bias_table", "blocks.1.attn.relative_position_bias_table", "blocks.2.mlp.fc1.weight",
            "head.weight",
            "merges.0.reduction.weight", "patch_embed.proj.weight"], c.Convert(timm, "timm.pth").Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Bad_plans_and_token_petl_methods_are_refused_with_a_reason()
    {
        // a width for a block the plan drops (widths themselves: SwinWidthTests)
        var widths = new Dictionary<int, BlockWidth> { [2] = new([0], [0, 1]) };
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(Options("a"), plan: new ModelPlan(8, [0, 1], widths),
            planSource: "i.sls.json"));
        Assert.Equal("i.sls.json: a width is given for block 3, which is not kept", e.Message);
        e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(Options("a"), plan: new ModelPlan(8, [3, 1])));
        Assert.Contains("ascending", e.Message);
        e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(Options("a"), plan: ModelPlan.Leading(12, 3)));
        Assert.Contains("8 blocks", e.Message);
        e = Assert.Throws<SlsInputException>(() => ModelFactory.BuildTrainable(Options("a"), new TrainableRequest(new PetlSettings(new VptMethod(), 2,
            1.0), 7)));
        Assert.Contains("vpt is not supported on Swin", e.Message);
        e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(Options("a") with { ModelName = "vit_base_patch16_224" }));
        Assert.Contains("unknown Swin model", e.Message);
        e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(Fixtures.File("backbone.safetensors"), Heads: 3,
            ImageSize: 60)));
        Assert.Equal("--image-size: 60 is not a multiple of the ViT's patch size 8 (its position embedding is for 32)", e.Message);
    }

    [Theory]
    [InlineData("convpass")]
    [InlineData("repadapter")]
    [InlineData("adaptformer")]
    public void Adapters_start_as_the_backbone_train_export_to_onnx_and_count_their_flops(string name)
    {
        var method = PetlMethods.ByName(name)!;
        var settings = new PetlSettings(method, 4, 0.5);
        var images = Expected()["a.images"];
        using var _ = torch.no_grad();

        // fresh adapters add nothing: every block's output is the backbone's
        torch.manual_seed(1);
        using (var fresh = ModelFactory.BuildTrainable(Options("a"), new TrainableRequest(settings, 7)))
        using (var plain = ModelFactory.Build(Options("a")))
        {
            Assert.Contains(fresh.Model.named_parameters(), np => np.name.StartsWith("blocks.7.adapter_mlp.", StringComparison.Ordinal));
            fresh.Model.eval();
            var (f, _) = fresh.Model.ForwardIntermediates(images);
            var (p, _) = plain.Model.ForwardIntermediates(images);
            Assert.InRange(Fixtures.RelativeError(f, p), 0, 1e-6);
        }

        // trained on a Swin through the trainer; the adapters change the output; ONNX runs as TorchSharp, cut too
        string task = TrainingTests.PatternTask(), dir = Directory.CreateTempSubdirectory("sls-swin-adapter-").FullName;
        string petl = Path.Combine(dir, $"{name}.safetensors");
        using (torch.enable_grad())
            PetlTrainer.Run(new TrainOptions(Options("a") with { BatchSize = 16 }, task, settings, petl, Epochs: 2, WarmupEpochs: 1, Lr: 5e-3,
                EvalEvery: 2));
        var options = Options("a", petl);
        using var trained = ModelFactory.Build(options);
        int adapters = trained.Model.named_parameters().Count(np => method.OwnsParameter(np.name));
        Assert.True(adapters >= 8 * 4, $"{adapters} adapter tensors");
        using var logits = trained.Model.forward(images);
        foreach (var kept in new[] { null, new[] { 0, 3, 5 } })
        {
            using var built = kept is null ? ModelFactory.Build(options) : ModelFactory.Build(options, plan: new ModelPlan(8, kept));
            string onnx = Path.Combine(dir, $"{name}.onnx");
            ExportRunner.Write(built, new OnnxExport(), onnx);
            using var ort = OnnxRuntimeModel.Open(onnx);
            using var expected = built.Model.forward(images);
            using var actual = ort.Forward(images);
            Assert.InRange(Fixtures.RelativeError(actual, expected), 0, 1e-4);
        }

        // merged where the method merges (RepAdapter into qkv and fc1): refused where a window pads the grid (the
        // padding tokens enter qkv), the same logits where the grids are multiples of the windows (b at 64: 16, 8, 4)
        if (method.Mergeable)
        {
            var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(options with { Merge = true }));
            Assert.StartsWith("--merge: repadapter does not merge exactly into this Swin: stage 1's 8x8 grid is padded", e.Message);
            string petlB = Path.Combine(dir, $"{name}.b.safetensors");
            var optionsB = new ModelOptions(File("b.pth"), ImageSize: 64, Device: "cpu", BatchSize: 16);
            using (torch.enable_grad())
                PetlTrainer.Run(new TrainOptions(optionsB, task, settings, petlB, Epochs: 1, WarmupEpochs: 0, Lr: 5e-3, EvalEvery: 1));
            using var unmerged = ModelFactory.Build(optionsB with { Petl = petlB });
            using var merged = ModelFactory.Build(optionsB with { Petl = petlB, Merge = true });
            Assert.True(merged.Merged);
            Assert.DoesNotContain(merged.Model.named_parameters(), np => np.name.Contains(".adapter_", StringComparison.Ordinal));
            using var imagesB = torch.nn.functional.interpolate(images, [64, 64], mode: torch.InterpolationMode.Bilinear);
            using var a = unmerged.Model.forward(imagesB);
            Assert.InRange(Fixtures.RelativeError(merged.Model.forward(imagesB), a), 0, 1e-5);
            Assert.Contains(unmerged.Model.named_parameters(), np => np.name.Contains(".adapter_attn.conv_B", StringComparison.Ordinal)
                && np.parameter.abs().max().item<float>() > 0);
        }

        // FLOPs: block 1 (width 4, grid 8: 64 tokens, no prefix token) gains the method's MACs per branch
        using var without0 = ModelFactory.Build(options, plan: new ModelPlan(8, [1, 2, 3, 4, 5, 6, 7]));
        using var plainFull = ModelFactory.Build(Options("a"));
        using var plainWithout0 = ModelFactory.Build(Options("a"), plan: new ModelPlan(8, [1, 2, 3, 4, 5, 6, 7]));
        long branch = name switch
        {
            "convpass" => 64L * 4 * 4 + 64L * 9 * 4 * 4 + 64L * 4 * 4,
            "repadapter" => 64L * 4 * 4 + 64L * 2 * 4,
            _ => 64L * 4 * 4,
        };
        long gained = trained.Model.FlopsPerImage() - without0.Model.FlopsPerImage() - (plainFull.Model.FlopsPerImage()
            - plainWithout0.Model.FlopsPerImage());
        Assert.Equal(2 * 2 * branch, gained); // two branches (AdaptFormer: down and up of its one), FLOPs = 2 MACs
    }

    [Fact]
    public void Inspect_reports_the_swin_family_its_stages_and_the_variant_input_size()
    {
        var r = InspectRunner.Run(new InspectOptions(File("a.pth"))).Checkpoint.Architecture!;
        Assert.Equal("swin", r.Kind);
        Assert.Null(r.Variant);
        Assert.Equal((4, 224, 56, 32, 8, 1, 7), (r.PatchSize, r.ImageSize, r.GridSize, r.Width, r.Depth, r.Heads, r.NumClasses));
        Assert.Equal("depths 2-2-2-2, heads 1-2-2-4, windows 3-3-3-3, widths 4-8-16-32", r.Stages);
        using var file = StateDictFile.Open(File("a.pth"));
        Assert.Equal("swin", BackboneFamilies.For(file.Shapes, "a.pth").Name);
        var c = new SwinFamily().Infer(file.Shapes, ArchitectureHints.None, new ModelOptions("a.pth"), "a.pth");
        Assert.Equal(224, c.ImageSize);
        Assert.Equal(384, (c with { EmbedWidth = 128, Depths = [2, 2, 18, 2], Heads = [4, 8, 16, 32], Windows = [12, 12, 12, 12] }) is var big
            && SwinVariants.Match(big) is { } v ? v.ImageSize : 0);
    }

    [Fact]
    public void Flops_count_window_padded_attention_and_every_merging()
    {
        using var full = ModelFactory.Build(Options("a"));
        using var without0 = ModelFactory.Build(Options("a"), plan: new ModelPlan(8, [1, 2, 3, 4, 5, 6, 7]));
        // block 1: width 4, grid 8 padded to 9 for window 3 (81 tokens, 9 per window), MLP 8 units over 64 tokens
        long block0 = 81L * 4 * 12 + 2 * 81L * 9 * 4 + 81L * 4 * 4 + 2 * 64L * 4 * 8;
        Assert.Equal(2 * block0, full.Model.FlopsPerImage() - without0.Model.FlopsPerImage());
        // the same model keeping only block 8: patch embedding, that block (grid 1 padded to 3), three mergings, head
        using var last = ModelFactory.Build(Options("a"), plan: new ModelPlan(8, [7]));
        long patch = 64L * 3 * 16 * 4, block7 = 9L * 32 * 96 + 2 * 9L * 9 * 32 + 9L * 32 * 32 + 2 * 1L * 32 * 64;
        long merges = 16L * 16 * 8 + 4L * 32 * 16 + 1L * 64 * 32, head = 32L * 7;
        Assert.Equal(2 * (patch + block7 + merges + head), last.Model.FlopsPerImage());
    }

    [Fact]
    public void Block_influence_compares_each_block_with_its_own_input()
    {
        using var built = ModelFactory.Build(Options("b"));
        var images = Expected()["b.images"];
        var bi = BlockInfluence.Measure(built.Model, [images], torch.CPU);
        Assert.Equal(5, bi.Length);
        Assert.All(bi, v => Assert.InRange(v, 0.0, 2.0));
    }

    [Fact]
    public void Train_prune_and_eval_runners_take_a_swin_backbone_with_its_head_or_lora()
    {
        // a head (linear probe) and LoRA trained on the Swin, then bi with a budget (a subset dropping stage 2's
        // blocks is allowed), sls, and the pruned model evaluated through the same factory
        string task = TrainingTests.PatternTask();
        string dir = Directory.CreateTempSubdirectory("sls-swin-seam-").FullName;
        var model = Options("a") with { BatchSize = 16 };
        foreach (var method in new PetlMethod[] { PetlMethods.Linear, new LoraMethod() })
        {
            string petl = Path.Combine(dir, $"{method.Name}.safetensors");
            PetlTrainer.Run(new TrainOptions(model, task, new PetlSettings(method, 2, 1.0), petl, Epochs: 2, WarmupEpochs: 1, Lr: 5e-3,
                EvalEvery: 1));
            var withPetl = model with { Petl = petl };
            var bi = PruneMethods.Get("bi");
            string index = Path.Combine(dir, $"{method.Name}.bi.sls.json");
            var r = PruneRunner.Run(new PruneOptions(withPetl, task, bi, bi.ReadOptions(new JsonObject { ["keep_blocks"] = 5 }, "test"), Out: index));
            Assert.Equal((5, 8), (r.Index.KeptBlocks.Count, r.Index.Section!.Curve(r.Index)!.Scores.Count));
            var full = EvalRunner.Run(new EvalOptions(withPetl, task));
            var pruned = EvalRunner.Run(new EvalOptions(withPetl, task, index));
            Assert.Equal((8, 8, 5, true), (full.Depth, full.Blocks, pruned.Blocks, pruned.Pruned));
            Assert.True(pruned.FlopsPerImage < full.FlopsPerImage);
            var sls = PruneMethods.Get("sls");
            var s = PruneRunner.Run(PruneOptions.For(withPetl, task, sls, output: Path.Combine(dir, $"{method.Name}.sls.sls.json")) with
            {
                MethodOptions = sls.ReadOptions(new JsonObject { ["alpha"] = 0.9, ["perplexity"] = 10.0, ["scoring"] = "all" }, "test"),
            });
            Assert.Equal(8, SlsSection.Of(s.Index).Scores!.Count);
        }
    }
}
