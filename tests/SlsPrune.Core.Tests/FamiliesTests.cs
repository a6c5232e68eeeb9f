using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Export;
using SlsPrune.Core.Inspection;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Petl.Methods;
using SlsPrune.Core.Models.Vit;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>The ViT family variants (issue 16) against plain-torch restatements of their maths
/// (scripts/make_family_fixtures.py): DINOv2 with registers and LayerScale (also at a resampled input size), Hugging
/// Face's DINOv2 folder, DeiT distilled, DeiT-3's original names, an OpenCLIP image tower, a global-average-pooled
/// model; each through ModelFactory with its own head, then through ONNX Runtime, whole and pruned.</summary>
public class FamiliesTests
{
    private const double Tolerance = 1e-5;

    private static string File(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "families", name);

    private static Dictionary<string, torch.Tensor> Expected(string name)
    {
        using var f = SafetensorsFile.Open(File(name));
        return CheckpointFile.ReadAll(f);
    }

    private static ModelOptions Options(string name) => new(File(name), Heads: 3, Device: "cpu");

    /// <summary>Logits and every block's feature (ForwardIntermediates) against the reference.</summary>
    private static void AssertMatches(BuiltModel built, Dictionary<string, torch.Tensor> e, string suffix = "")
    {
        using var _ = torch.no_grad();
        var (feats, logits) = built.Model.ForwardIntermediates(e["images" + suffix]);
        Assert.Equal(e["feats" + suffix].shape, feats.shape);
        for (int i = 0; i < feats.shape[0]; i++)
            Assert.InRange(Fixtures.RelativeError(feats[i], e["feats" + suffix][i]), 0, Tolerance);
        Assert.InRange(Fixtures.RelativeError(logits!, e["logits" + suffix]), 0, Tolerance);
    }

    [Fact]
    public void Dinov2_with_registers_and_layerscale_matches_the_reference()
    {
        using var built = ModelFactory.Build(Options("dinov2_reg.safetensors"));
        var c = Fixtures.Vit(built).Config;
        Assert.Equal((14, 3, 24, 2, 4, 0, true, 5), (c.PatchSize, c.GridSize, c.Width, c.Depth, c.Registers, c.PosPrefixTokens, c.LayerScale,
            c.NumClasses));
        Assert.Equal((5, 14), (c.PrefixTokens, c.Tokens));
        Assert.Equal("cls", built.Model.FeatureKind);
        AssertMatches(built, Expected("dinov2_expected.safetensors"));
    }

    [Fact]
    public void Dinov2_at_another_image_size_resamples_its_position_embedding_as_timm()
    {
        using var built = ModelFactory.Build(Options("dinov2_reg.safetensors") with { ImageSize = 28 });
        var c = Fixtures.Vit(built).Config;
        Assert.Equal((2, 3, 28), (c.GridSize, c.StoredGridSize, built.Model.Input.ImageSize));
        Assert.Contains("resampled from 3x3", c.VariantDetails());
        AssertMatches(built, Expected("dinov2_expected.safetensors"), "_28");
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(Options("dinov2_reg.safetensors") with { ImageSize = 30 }));
        Assert.Equal("--image-size: 30 is not a multiple of the ViT's patch size 14 (its position embedding is for 42)", e.Message);
    }

    [Fact]
    public void Dinov2_cut_to_its_first_block_keeps_layerscale_and_registers()
    {
        using var built = ModelFactory.Build(Options("dinov2_reg.safetensors"), plan: ModelPlan.Leading(2, 1));
        var e = Expected("dinov2_expected.safetensors");
        using var _ = torch.no_grad();
        var (feats, _) = built.Model.ForwardIntermediates(e["images"]);
        Assert.Equal(1, feats.shape[0]);
        Assert.InRange(Fixtures.RelativeError(feats[0], e["feats"][0]), 0, Tolerance);
    }

    [Fact]
    public void Hugging_face_dinov2_folder_matches_with_eps_and_heads_from_its_config()
    {
        using (var file = StateDictFile.Open(File("hf_dinov2")))
        {
            Assert.Equal("huggingface-dinov2", file.Converter.Name);
            Assert.Equal((3, 1e-5), (file.Hints.Heads, file.Hints.LayerNormEps));
            Assert.False(file.Shapes.ContainsKey("mask_token"));
            Assert.Equal(new long[] { 24 }, file.Shapes["blocks.1.ls2.gamma"]);
        }
        using var built = ModelFactory.Build(new ModelOptions(File("hf_dinov2"), Device: "cpu"));
        var c = Fixtures.Vit(built).Config;
        Assert.Equal((3, 1e-5, true, 1, 0), (c.Heads, c.LayerNormEps, c.LayerScale, c.PosPrefixTokens, c.NumClasses));
        AssertMatches(built, Expected("hf_dinov2_expected.safetensors"));
    }

    [Fact]
    public void Deit_distilled_averages_its_two_heads()
    {
        using var built = ModelFactory.Build(Options("deit_distilled.safetensors"));
        var c = Fixtures.Vit(built).Config;
        Assert.Equal((true, true, 2, 2), (c.DistToken, c.DistilledHead, c.PrefixTokens, c.PosPrefixTokens));
        AssertMatches(built, Expected("deit_distilled_expected.safetensors"));
    }

    [Fact]
    public void Deit3_original_gamma_names_are_layerscale()
    {
        using (var file = StateDictFile.Open(File("deit3.safetensors")))
        {
            Assert.Equal("timm", file.Converter.Name);
            Assert.Contains("blocks.0.ls1.gamma", file.Shapes.Keys);
            Assert.DoesNotContain("blocks.0.gamma_1", file.Shapes.Keys);
        }
        using var built = ModelFactory.Build(Options("deit3.safetensors"));
        var c = Fixtures.Vit(built).Config;
        Assert.Equal((true, 0), (c.LayerScale, c.PosPrefixTokens));
        AssertMatches(built, Expected("deit3_expected.safetensors"));
    }

    [Fact]
    public void Openclip_image_tower_matches_with_quick_gelu_norm_pre_and_its_projection_as_head()
    {
        using (var file = StateDictFile.Open(File("clip_visual.pth")))
        {
            Assert.Equal("openai-clip", file.Converter.Name);
            Assert.Equal((1e-5, "quick_gelu"), (file.Hints.LayerNormEps, file.Hints.Activation));
            Assert.Equal(new long[] { 16, 24 }, file.Shapes["head.weight"]);
            Assert.DoesNotContain(file.Shapes.Keys, k => k.Contains("token_embedding", StringComparison.Ordinal) || k == "logit_scale");
        }
        using var built = ModelFactory.Build(Options("clip_visual.pth"));
        var c = Fixtures.Vit(built).Config;
        Assert.Equal((VitActivation.QuickGelu, true, false, false, 1e-5, 16), (c.Activation, c.NormPre, c.PatchBias, c.HeadBias, c.LayerNormEps,
            c.NumClasses));
        Assert.Equal(0.48145466f, c.Mean[0]);
        var e = Expected("clip_expected.safetensors");
        AssertMatches(built, e);
        // the activation matters, and --act overrides the layout's
        using var gelu = ModelFactory.Build(Options("clip_visual.pth") with { Activation = "gelu" });
        using var _ = torch.no_grad();
        Assert.True(Fixtures.RelativeError(gelu.Model.forward(e["images"]), e["logits"]) > 1e-3);
    }

    [Fact]
    public void Global_average_pooled_model_reads_the_patch_mean_through_fc_norm()
    {
        using var built = ModelFactory.Build(Options("gap.safetensors"));
        var c = Fixtures.Vit(built).Config;
        Assert.Equal((VitPool.Avg, false), (c.Pool, c.FinalNorm));
        Assert.Equal("mean-patch", built.Model.FeatureKind);
        AssertMatches(built, Expected("gap_expected.safetensors"));
    }

    [Theory]
    [InlineData("dinov2_reg.safetensors", false, null)]
    [InlineData("dinov2_reg.safetensors", true, null)]
    [InlineData("dinov2_reg.safetensors", true, 28)]
    [InlineData("deit_distilled.safetensors", true, null)]
    [InlineData("deit3.safetensors", false, null)]
    [InlineData("clip_visual.pth", true, null)]
    [InlineData("gap.safetensors", true, null)]
    public void Onnx_runtime_gives_the_torchsharp_logits_whole_and_pruned(string name, bool pruned, int? imageSize)
    {
        // pruned: the second block only, narrowed to heads 0 and 2 and every other MLP unit
        var plan = pruned ? new ModelPlan(2, [1], new Dictionary<int, BlockWidth>
        {
            [1] = new([0, 2], Enumerable.Range(0, 48).Where(u => u % 2 == 0)
            .ToArray())
        }) : null;
        using var built = ModelFactory.Build(Options(name) with { ImageSize = imageSize }, plan: plan);
        string path = Path.Combine(Directory.CreateTempSubdirectory("sls-families-").FullName, "m.onnx");
        ExportRunner.Write(built, new OnnxExport(), path);
        var images = Expected(name.StartsWith("dinov2", StringComparison.Ordinal) ? "dinov2_expected.safetensors"
            : name.Replace(".safetensors", "_expected.safetensors", StringComparison.Ordinal).Replace("_visual.pth", "_expected.safetensors",
                StringComparison.Ordinal))[imageSize is null ? "images" : "images_28"];
        using var _ = torch.no_grad();
        using var expected = built.Model.forward(images);
        using var ort = OnnxRuntimeModel.Open(path);
        using var actual = ort.Forward(images);
        Assert.InRange(Fixtures.RelativeError(actual, expected), 0, 1e-4);
        Assert.Equal(built.Model.FeatureKind, ort.Metadata["feature"]);
        Assert.Equal(imageSize ?? (int)images.shape[^1], ort.Input.ImageSize);
    }

    [Fact]
    public void A_standalone_export_of_clip_rebuilds_with_its_activation()
    {
        using var built = ModelFactory.Build(Options("clip_visual.pth"), plan: ModelPlan.Leading(2, 1));
        string path = Path.Combine(Directory.CreateTempSubdirectory("sls-families-").FullName, "m.safetensors");
        ExportRunner.Write(built, new SafetensorsExport(), path);
        using var reloaded = ModelFactory.Build(new ModelOptions(path, Device: "cpu"));
        Assert.Equal((VitActivation.QuickGelu, 1e-5), (Fixtures.Vit(reloaded).Config.Activation, Fixtures.Vit(reloaded).Config.LayerNormEps));
        var images = Expected("clip_expected.safetensors")["images"];
        using var _ = torch.no_grad();
        Assert.InRange(Fixtures.RelativeError(reloaded.Model.forward(images), built.Model.forward(images)), 0, 1e-6);
    }

    [Fact]
    public void Lora_trains_on_dinov2_and_starts_at_the_backbone()
    {
        torch.manual_seed(3);
        var petl = new PetlSettings(new LoraMethod(), 4, 0.5);
        using var trained = ModelFactory.BuildTrainable(Options("dinov2_reg.safetensors"), new TrainableRequest(petl, 7));
        var e = Expected("dinov2_expected.safetensors");
        using (torch.no_grad())
        {
            var (feats, logits) = trained.Model.ForwardIntermediates(e["images"]);
            Assert.Equal(new long[] { 2, 7 }, logits!.shape);
            for (int i = 0; i < 2; i++) Assert.InRange(Fixtures.RelativeError(feats[i], e["feats"][i]), 0, Tolerance);   // LoRA's B starts at zero
        }
        trained.Model.train();
        var loss = torch.nn.functional.cross_entropy(trained.Model.forward(e["images"]), torch.tensor(new long[] { 1, 4 }));
        loss.backward();
        var lora = trained.Model.named_parameters().Where(p => p.name.Contains("lora_A", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lora.Count);
        Assert.All(lora, p => Assert.NotNull(p.parameter.grad));
        // VPT places its prompts after a lone class token; registers are refused with a reason
        var err = Assert.Throws<SlsInputException>(() => ModelFactory.BuildTrainable(Options("dinov2_reg.safetensors"),
            new TrainableRequest(new PetlSettings(new VptMethod(), 4, 1.0), 7)));
        Assert.Contains("only prefix token is the class token", err.Message);
    }

    [Fact]
    public void Convpass_on_registers_treats_every_prefix_token_as_the_class_token_and_exports()
    {
        torch.manual_seed(4);
        using var built = ModelFactory.BuildTrainable(Options("dinov2_reg.safetensors"), new TrainableRequest(new PetlSettings(new ConvpassMethod(),
            4, 0.5), 7));
        var state = built.Model.state_dict();
        using (torch.no_grad())
            foreach (var (name, p) in built.Model.named_parameters().Where(np => np.name.Contains("adapter_", StringComparison.Ordinal)))
                p.copy_(torch.randn_like(p) * 0.3);
        built.Model.eval();
        int width = (int)state["blocks.0.adapter_attn.adapter_down.weight"].shape[1];
        var convpass = new Convpass(width, 4, 0.5, prefixTokens: 5);   // class token and 4 registers
        using (torch.no_grad())
            foreach (var (name, p) in convpass.named_parameters()) p.copy_(state[$"blocks.0.adapter_attn.{name}"]);
        convpass.eval();
        using var x = torch.randn(2, 5 + 9, width);
        using var _ = torch.no_grad();
        var y = convpass.Forward(x);
        // a prefix token alone, as a 1x1 image: only the kernel's centre and its bias act
        torch.Tensor Q(torch.Tensor t) => t * torch.sigmoid(t * 1.702);
        var down = Q(torch.nn.functional.linear(x[.., ..5], state["blocks.0.adapter_attn.adapter_down.weight"],
            state["blocks.0.adapter_attn.adapter_down.bias"]));
        var centre = state["blocks.0.adapter_attn.adapter_conv.weight"][.., .., 1, 1];
        var expected = torch.nn.functional.linear(Q(torch.nn.functional.linear(down, centre, state["blocks.0.adapter_attn.adapter_conv.bias"])),
            state["blocks.0.adapter_attn.adapter_up.weight"], state["blocks.0.adapter_attn.adapter_up.bias"]);
        Assert.InRange(Fixtures.RelativeError(y[.., ..5], expected), 0, 1e-5);

        string onnx = Path.Combine(Directory.CreateTempSubdirectory("sls-reg-").FullName, "m.onnx");
        Export.ExportRunner.Write(built, new Export.OnnxExport(), onnx);
        var images = Expected("dinov2_expected.safetensors")["images"];
        using var ort = Evaluation.OnnxRuntimeModel.Open(onnx);
        Assert.InRange(Fixtures.RelativeError(ort.Forward(images), built.Model.forward(images)), 0, 1e-4);
    }

    [Fact]
    public void Inspect_reports_the_variant_settings()
    {
        var r = InspectRunner.Run(new InspectOptions(File("dinov2_reg.safetensors"), Heads: 3)).Checkpoint.Architecture!;
        Assert.Equal("4 registers, position embedding on patches only, layerscale, feature cls", r.Details);
        r = InspectRunner.Run(new InspectOptions(File("gap.safetensors"), Heads: 3)).Checkpoint.Architecture!;
        Assert.Equal("pooling avg (fc_norm), feature mean-patch", r.Details);
        r = InspectRunner.Run(new InspectOptions(File("clip_visual.pth"), Heads: 3)).Checkpoint.Architecture!;
        Assert.Equal("norm_pre, patch projection without bias, quick_gelu, head without bias, feature cls", r.Details);
    }
}
