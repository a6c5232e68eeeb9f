using System.Text.Json.Nodes;
using SlsPrune.Core.Checkpoints.Converters;
using SlsPrune.Core.Inspection;
using SlsPrune.Core.IO;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>Users' ViT checkpoints read untouched (issue 16): torchvision's state dict and Hugging Face's folders,
/// against torchvision's own forward and a plain-torch restatement of Hugging Face's ViT
/// (scripts/make_layout_fixtures.py).</summary>
public class LayoutTests
{
    private const double Tolerance = 1e-5;

    private static string File(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "layouts", name);

    private static Dictionary<string, torch.Tensor> Expected(string name)
    {
        using var f = SafetensorsFile.Open(File(name));
        return CheckpointFile.ReadAll(f);
    }

    /// <summary>Logits and every block's class token (ForwardIntermediates) against the reference.</summary>
    private static void AssertMatches(BuiltModel built, Dictionary<string, torch.Tensor> expected, bool logits = true)
    {
        using var _ = torch.no_grad();
        var (cls, output) = built.Model.ForwardIntermediates(expected["images"]);
        Assert.Equal(expected["cls"].shape[0], cls.shape[0]);
        for (int i = 0; i < cls.shape[0]; i++)
            Assert.InRange(Fixtures.RelativeError(cls[i], expected["cls"][i]), 0, Tolerance);
        if (logits) Assert.InRange(Fixtures.RelativeError(output!, expected["logits"]), 0, Tolerance);
    }

    [Fact]
    public void Torchvision_vit_matches_torchvision_with_its_own_head()
    {
        using (var file = StateDictFile.Open(File("tv_vit.pth")))
        {
            Assert.Equal("torchvision", file.Converter.Name);
            Assert.Equal(new long[] { 72, 24 }, file.Shapes["blocks.2.attn.qkv.weight"]);
            Assert.Equal(new long[] { 1, 17, 24 }, file.Shapes["pos_embed"]);
            // nothing beyond the shapes; where a family must assume the input size, it names the layout
            Assert.Equal(ArchitectureHints.None with { ImageSizeUnrecorded = "the input size is not recorded in a torchvision checkpoint" },
                file.Hints);
        }
        using var built = ModelFactory.Build(new ModelOptions(File("tv_vit.pth"), Heads: 3));
        var c = Fixtures.Vit(built).Config;
        Assert.Equal((8, 4, 24, 3, 3, 48, 5, false, 1e-6), (c.PatchSize, c.GridSize, c.Width, c.Depth, c.Heads, c.MlpHidden, c.NumClasses,
            c.HasPreLogits, c.LayerNormEps));
        AssertMatches(built, Expected("tv_expected.safetensors"));
    }

    [Fact]
    public void A_torchvision_model_cut_to_two_blocks_reads_only_those_and_matches_the_second_layer()
    {
        using var built = ModelFactory.Build(new ModelOptions(File("tv_vit.pth"), Heads: 3), plan: ModelPlan.Leading(3, 2));
        Assert.Equal(2, built.Model.Depth);
        var e = Expected("tv_expected.safetensors");
        using var _ = torch.no_grad();
        var (cls, _) = built.Model.ForwardIntermediates(e["images"]);
        Assert.InRange(Fixtures.RelativeError(cls[1], e["cls"][1]), 0, Tolerance);
    }

    [Fact]
    public void A_torchvision_model_cut_to_two_blocks_never_reads_the_third()
    {
        // The converter only renames, so the reader reads just the kept blocks: NaN in layer 2 goes unseen.
        using var src = StateDictFile.Open(File("tv_vit.pth"));
        Assert.Equal("torchvision", src.Converter.Name);
        using var raw = CheckpointFile.Open(File("tv_vit.pth"));
        var weights = CheckpointFile.ReadAll(raw);
        foreach (var k in weights.Keys.Where(k => k.StartsWith("encoder.layers.encoder_layer_2.", StringComparison.Ordinal)).ToList())
            weights[k] = torch.full_like(weights[k], double.NaN);
        string poisoned = Path.Combine(Directory.CreateTempSubdirectory("sls-poison-").FullName, "tv.safetensors");
        SafetensorsWriter.Write(poisoned, weights);
        using var cut = ModelFactory.Build(new ModelOptions(poisoned, Heads: 3), plan: ModelPlan.Leading(3, 2));
        using var _ = torch.no_grad();
        Assert.False(cut.Model.forward(Expected("tv_expected.safetensors")["images"]).isnan().any().item<bool>());
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(poisoned, Heads: 3)));
        Assert.Contains("tensor 'blocks.2.", e.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, torch.Tensor> Meta(params (string Name, long[] Shape)[] tensors) =>
        tensors.ToDictionary(t => t.Name, t => torch.empty(t.Shape, device: torch.META), StringComparer.Ordinal);

    [Fact]
    public void Torchvision_legacy_mlp_names_and_pre_logits_map_to_timm_names()
    {
        var state = Meta(("module.class_token", [1, 1, 8]), ("module.encoder.pos_embedding", [1, 5, 8]),
            ("module.encoder.layers.encoder_layer_0.mlp.linear_1.weight", [16, 8]), ("module.encoder.layers.encoder_layer_0.mlp.linear_2.bias", [8]),
            ("module.encoder.layers.encoder_layer_11.self_attention.in_proj_bias", [24]), ("module.heads.pre_logits.weight", [8, 8]));
        var converter = StateDictConverters.For(state.Keys);
        Assert.Equal("torchvision", converter.Name);
        var o = converter.Convert(state, "test");
        Assert.Equal(["blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc2.bias", "blocks.11.attn.qkv.bias", "cls_token", "pos_embed",
            "pre_logits.fc.weight"], o.Keys.Order(StringComparer.Ordinal));
        Assert.Same(state["module.encoder.layers.encoder_layer_0.mlp.linear_1.weight"], o["blocks.0.mlp.fc1.weight"]);

        state["encoder.layers.encoder_layer_0.conv_stem.weight"] = torch.empty([1], device: torch.META);
        state = state.ToDictionary(kv => kv.Key.StartsWith("module.", StringComparison.Ordinal) ? kv.Key[7..] : kv.Key, kv => kv.Value);
        var e = Assert.Throws<SlsInputException>(() => converter.Convert(state, "x.pth"));
        Assert.Equal("x.pth: tensor 'encoder.layers.encoder_layer_0.conv_stem.weight' has no place in a torchvision ViT (a convolutional stem or "
            + "another model's tensor is not supported)", e.Message);
    }

    /// <summary>A copy of the Hugging Face fixture whose preprocessor_config.json has <paramref name="edit"/> applied.</summary>
    private static string HfWithProcessor(Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        string dir = Directory.CreateTempSubdirectory("sls-hf-pre-").FullName;
        foreach (var f in Directory.GetFiles(File("hf_vit"))) System.IO.File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        string pre = Path.Combine(dir, "preprocessor_config.json");
        var o = System.Text.Json.Nodes.JsonNode.Parse(System.IO.File.ReadAllText(pre))!.AsObject();
        edit(o);
        System.IO.File.WriteAllText(pre, o.ToJsonString());
        return dir;
    }

    [Fact]
    public void A_processors_rescale_and_normalise_steps_are_folded_into_the_mean_and_std_and_odd_sizes_refused()
    {
        // (p * r - m) / s with p in 0..255: sls divides by 255 first, so m and s scale by 1 / (255 r)
        using (var f = StateDictFile.Open(HfWithProcessor(o => o["do_rescale"] = false)))
            Assert.Equal(([0.5f / 255, 0.5f / 255, 0.5f / 255], [0.5f / 255, 0.5f / 255, 0.5f / 255]), (f.Hints.Mean!.ToArray(),
                f.Hints.Std!.ToArray()), new TupleOfArrays());
        using (var f = StateDictFile.Open(HfWithProcessor(o => o["rescale_factor"] = 1.0 / 127.5)))
            Assert.Equal(([0.25f, 0.25f, 0.25f], [0.25f, 0.25f, 0.25f]), (f.Hints.Mean!.ToArray(), f.Hints.Std!.ToArray()), new TupleOfArrays());
        using (var f = StateDictFile.Open(HfWithProcessor(o => o["do_normalize"] = false)))
            Assert.Equal(([0f, 0f, 0f], [1f, 1f, 1f]), (f.Hints.Mean!.ToArray(), f.Hints.Std!.ToArray()), new TupleOfArrays());
        string Refusal(Action<System.Text.Json.Nodes.JsonObject> edit)
        {
            string dir = HfWithProcessor(edit);
            var e = Assert.Throws<SlsInputException>(() => StateDictFile.Open(dir).Dispose());
            return e.Message[(Path.Combine(dir, "preprocessor_config.json").Length + 2)..];
        }
        Assert.Equal("rescale_factor 0 is not a positive number", Refusal(o => o["rescale_factor"] = 0));
        Assert.Equal("size is 32x64; sls feeds square images (a non-square processor is not supported)",
            Refusal(o => o["size"] = new System.Text.Json.Nodes.JsonObject { ["height"] = 32, ["width"] = 64 }));
        Assert.Equal("size -3 is not a size in pixels", Refusal(o => o["size"] = new System.Text.Json.Nodes.JsonObject { ["shortest_edge"] = -3 })
            .Replace("shortest_edge ", "", StringComparison.Ordinal));
        Assert.Equal("size 64 differs from config.json's image_size 32; the model would be fed another input than it was trained on",
            Refusal(o => o["size"] = new System.Text.Json.Nodes.JsonObject { ["height"] = 64, ["width"] = 64 }));
    }

    private sealed class TupleOfArrays : IEqualityComparer<(float[], float[])>
    {
        public bool Equals((float[], float[]) a, (float[], float[]) b) =>
            a.Item1.Zip(b.Item1).All(p => Math.Abs(p.First - p.Second) < 1e-7f) && a.Item2.Zip(b.Item2).All(p => Math.Abs(p.First - p.Second) < 1e-7f)
            && a.Item1.Length == b.Item1.Length && a.Item2.Length == b.Item2.Length;

        public int GetHashCode((float[], float[]) obj) => 0;
    }

    [Fact]
    public void Hugging_face_folder_matches_with_heads_eps_mean_std_and_labels_from_its_config()
    {
        using (var file = StateDictFile.Open(File("hf_vit")))
        {
            Assert.Equal("huggingface-vit", file.Converter.Name);
            Assert.True(file.Source.IsFolder);
            Assert.Equal(File(Path.Combine("hf_vit", "model.safetensors")), file.Path);
            var h = file.Hints;
            Assert.Equal((4, 0.01), (h.Heads, h.LayerNormEps));
            Assert.Equal([0.5f, 0.5f, 0.5f], h.Mean!);
            Assert.Equal([0.5f, 0.5f, 0.5f], h.Std!);
            Assert.Equal(["cat", "dog", "bird", "fish", "frog"], h.Labels!);
        }
        // width 32 is not in the variants table: the head count is the config's
        using var built = ModelFactory.Build(new ModelOptions(File("hf_vit")));
        var c = Fixtures.Vit(built).Config;
        Assert.Equal((8, 4, 32, 3, 4, 64, 5, false, 0.01), (c.PatchSize, c.GridSize, c.Width, c.Depth, c.Heads, c.MlpHidden, c.NumClasses,
            c.HasPreLogits, c.LayerNormEps));
        Assert.Equal([0.5f, 0.5f, 0.5f], built.Model.Input.Mean);
        Assert.Equal([0.5f, 0.5f, 0.5f], built.Model.Input.Std);
        Assert.Equal(["cat", "dog", "bird", "fish", "frog"], built.ClassNames!);   // id2label names the checkpoint's own head
        AssertMatches(built, Expected("hf_expected.safetensors"));
    }

    [Fact]
    public void The_weights_file_alone_has_hugging_face_defaults_and_the_eps_of_the_config_matters()
    {
        // Guards the fixture: without its config (eps 1e-12, the library default) the outputs differ beyond tolerance.
        using var built = ModelFactory.Build(new ModelOptions(File(Path.Combine("hf_vit", "model.safetensors")), Heads: 4));
        var c = Fixtures.Vit(built).Config;
        Assert.Equal(1e-12, c.LayerNormEps);
        Assert.Equal([0.485f, 0.456f, 0.406f], c.Mean);
        var e = Expected("hf_expected.safetensors");
        using var _ = torch.no_grad();
        Assert.True(Fixtures.RelativeError(built.Model.forward(e["images"]), e["logits"]) > 1e-3);
    }

    [Fact]
    public void Hugging_face_vitmodel_folder_with_a_bin_file_drops_its_pooler_and_has_no_head()
    {
        using (var file = StateDictFile.Open(File("hf_vitmodel")))
        {
            Assert.Equal(File(Path.Combine("hf_vitmodel", "pytorch_model.bin")), file.Path);
            Assert.Equal(CheckpointFormat.PyTorchZip, file.Format);
            Assert.DoesNotContain(file.Shapes.Keys, k => k.Contains("pooler", StringComparison.Ordinal) || k.StartsWith("head.",
                StringComparison.Ordinal));
            Assert.Null(file.Hints.Labels);
        }
        using var built = ModelFactory.Build(new ModelOptions(File("hf_vitmodel")));
        Assert.Equal(0, built.Model.NumClasses);
        Assert.Equal(0.01, Fixtures.Vit(built).Config.LayerNormEps);
        AssertMatches(built, Expected("hf_expected.safetensors"), logits: false);
    }

    [Fact]
    public void Hugging_face_query_key_value_stack_into_qkv_in_that_order()
    {
        var w = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal)
        {
            ["embeddings.patch_embeddings.projection.weight"] = torch.zeros(2, 3, 1, 1),
            ["encoder.layer.0.layernorm_before.weight"] = torch.ones(2),
        };
        foreach (var (n, v) in new[] { ("query", 1f), ("key", 2f), ("value", 3f) })
            w[$"encoder.layer.0.attention.attention.{n}.weight"] = torch.full(2, 2, v);
        var o = new HuggingFaceVitConverter().Convert(w, "test");
        Assert.Equal(new float[] { 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 }, o["blocks.0.attn.qkv.weight"].data<float>().ToArray());
        // qkv_bias false: zeros
        Assert.Equal(new long[] { 6 }, o["blocks.0.attn.qkv.bias"].shape);
        Assert.Equal(0f, o["blocks.0.attn.qkv.bias"].abs().sum().item<float>());
        w["encoder.layer.0.attention.attention.key.bias"] = torch.zeros(2);
        Assert.Contains("a bias for only some", Assert.Throws<SlsInputException>(() => new HuggingFaceVitConverter().Convert(w, "test")).Message,
            StringComparison.Ordinal);
    }

    private static string FolderCopy(string name, out string dir)
    {
        dir = Directory.CreateTempSubdirectory("sls-layout-").FullName;
        string dest = Path.Combine(dir, name);
        Directory.CreateDirectory(dest);
        foreach (var f in Directory.GetFiles(File(name))) System.IO.File.Copy(f, Path.Combine(dest, Path.GetFileName(f)));
        return dest;
    }

    [Fact]
    public void A_folder_is_fingerprinted_by_its_files_and_refused_when_it_holds_no_weights_or_an_unsupported_config()
    {
        string folder = FolderCopy("hf_vit", out var dir);
        var source = CheckpointSource.Resolve(folder);
        Assert.Equal(Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length), source.Bytes);
        string before = source.Fingerprint().Sha256;
        Assert.Equal(before, CheckpointSource.Resolve(File("hf_vit")).Fingerprint().Sha256);   // names and contents, not where
        // a single file keeps its own hash
        Assert.Equal(FileHash.Sha256(File("tv_vit.pth")), CheckpointSource.Resolve(File("tv_vit.pth")).Fingerprint().Sha256);

        string config = Path.Combine(folder, "config.json");
        var json = JsonNode.Parse(System.IO.File.ReadAllText(config))!.AsObject();
        json["layer_norm_eps"] = 1e-5;
        System.IO.File.WriteAllText(config, json.ToJsonString());
        Assert.NotEqual(before, CheckpointSource.Resolve(folder).Fingerprint().Sha256);

        json["hidden_act"] = "relu";
        System.IO.File.WriteAllText(config, json.ToJsonString());
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(folder)));
        Assert.Equal($"{config}: hidden_act \"relu\" is not supported; the ViT's MLP uses the exact GELU (\"gelu\")", e.Message);
        System.IO.File.WriteAllText(config, "{ not json");
        Assert.StartsWith($"{config}: is not valid JSON", Assert.Throws<SlsInputException>(() => StateDictFile.Open(folder)).Message,
            StringComparison.Ordinal);

        string empty = Directory.CreateDirectory(Path.Combine(dir, "empty")).FullName;
        Assert.Equal($"{empty}: is a folder, and a checkpoint folder needs model.safetensors or pytorch_model.bin (Hugging Face's layout); found "
            + $"neither (or give the checkpoint file itself)",
            Assert.Throws<SlsInputException>(() => StateDictFile.Open(empty)).Message);
        System.IO.File.WriteAllText(Path.Combine(empty, "model.safetensors.index.json"), "{}");
        Assert.Contains("sharded", Assert.Throws<SlsInputException>(() => StateDictFile.Open(empty)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("layouts", "tv_vit.pth", "torchvision", null)]   // width 24 is not in the variants table
    [InlineData("layouts", "hf_vit", "huggingface-vit", 4)]
    [InlineData("parity", "backbone.safetensors", "timm", null)]
    [InlineData("parity", "backbone.npz", "google-npz", null)]
    public void Inspect_names_the_layout_and_the_family(string folder, string name, string layout, int? heads)
    {
        var r = InspectRunner.Inspect(Path.Combine(AppContext.BaseDirectory, "fixtures", folder, name), null);
        Assert.Equal(layout, r.Layout);
        Assert.Equal("vit", r.Architecture!.Kind);
        Assert.Equal(heads, r.Architecture.Heads);
    }

    [Fact]
    public void Inspect_of_a_folder_reports_its_weights_file_config_and_labels()
    {
        var r = InspectRunner.Inspect(File("hf_vit"), null);
        Assert.Equal(File(Path.Combine("hf_vit", "model.safetensors")), r.WeightsFile);
        Assert.Equal("safetensors", r.Format);
        Assert.Equal(CheckpointSource.Resolve(File("hf_vit")).Fingerprint().Sha256, r.Sha256);
        Assert.Equal(["cat", "dog", "bird", "fish", "frog"], r.Labels!);
        Assert.Equal((0.01, 5), (r.Architecture!.LayerNormEps, r.Architecture.NumClasses));
        Assert.Equal([0.5f, 0.5f, 0.5f], r.Architecture.Mean);
        Assert.Equal("preprocessor_config.json", r.Architecture.PreprocessingSource);   // and why: the file it came from
        Assert.StartsWith("ImageNet's mean and std", InspectRunner.Inspect(Fixtures.File("backbone.safetensors"),
            3).Architecture!.PreprocessingSource);
    }

    [Fact]
    public void Eval_without_a_petl_file_uses_the_backbone_head_of_a_torchvision_file_and_a_hugging_face_folder()
    {
        string task = TrainingTests.PatternTask(); // 3 classes: the 5-class heads are used deliberately
        var tv = EvalRunner.Run(new EvalOptions(new ModelOptions(File("tv_vit.pth"), Heads: 3, Device: "cpu", BatchSize: 16)
        {
            AllowClassMismatch = true
        }, task));
        Assert.Equal((30, 3, 3, false), (tv.Images, tv.Depth, tv.Blocks, tv.Pruned));
        Assert.Equal((0L, new FileInfo(File("tv_vit.pth")).Length), (tv.Storage.PetlBytes, tv.Storage.BackboneBytes));
        Assert.Equal(5 * 24 + 5, tv.Parameters.Head);

        var hf = EvalRunner.Run(new EvalOptions(new ModelOptions(File("hf_vit"), Device: "cpu", BatchSize: 16) { AllowClassMismatch = true }, task));
        Assert.Equal(30, hf.Images);
        Assert.Equal(CheckpointSource.Resolve(File("hf_vit")).Bytes, hf.Storage.BackboneBytes);

        // a backbone without a head needs the task's PETL file
        var e = Assert.Throws<SlsInputException>(() => EvalRunner.Run(new EvalOptions(new ModelOptions(File("hf_vitmodel"), Device: "cpu"), task)));
        Assert.Equal($"{File("hf_vitmodel")}: has no classification head; give the task's PETL file (--petl), which carries one", e.Message);
    }
}
