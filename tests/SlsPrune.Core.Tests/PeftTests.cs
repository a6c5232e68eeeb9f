using System.Text.Json.Nodes;
using SlsPrune.Core.Inspection;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>Hugging Face PEFT LoRA adapter folders as --petl (issue 16): merged into the backbone at load, against
/// scripts/make_peft_fixtures.py's plain-torch merge and forward; what cannot be honoured is refused by name.</summary>
public class PeftTests
{
    private const double Tolerance = 1e-5;

    private static string Peft(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "peft", name);

    private static string Layout(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "layouts", name);

    private static Dictionary<string, torch.Tensor> Expected()
    {
        using var f = SafetensorsFile.Open(Peft("expected.safetensors"));
        return CheckpointFile.ReadAll(f);
    }

    private static void AssertLogits(BuiltModel built, torch.Tensor images, torch.Tensor expected)
    {
        using var _ = torch.no_grad();
        var (_, logits) = built.Model.ForwardIntermediates(images);
        Assert.InRange(Fixtures.RelativeError(logits!, expected), 0, Tolerance);
    }

    [Theory]
    [InlineData("hf_qv", 5)]
    [InlineData("hf_all_rslora", 5)]
    [InlineData("hf_patterns", 5)]
    [InlineData("hf_layers", 5)]
    [InlineData("hf_head", 3)]
    public void A_peft_adapter_on_a_hugging_face_vit_matches_the_merged_reference(string name, int classes)
    {
        var e = Expected();
        using var built = ModelFactory.Build(new ModelOptions(Layout("hf_vit"), Peft(name)));
        Assert.Equal(classes, Fixtures.Vit(built).Config.NumClasses);
        AssertLogits(built, e["hf_images"], e[name + ".logits"]);
    }

    [Fact]
    public void A_peft_adapter_of_a_classification_model_binds_to_the_same_backbone_saved_as_ViTModel()
    {
        var e = Expected();
        // hf_vitmodel: the same weights without the 'vit.' prefix (and with a pooler), as pytorch_model.bin
        using var built = ModelFactory.Build(new ModelOptions(Layout("hf_vitmodel"), Peft("hf_head")));
        AssertLogits(built, e["hf_images"], e["hf_head.logits"]);
    }

    [Fact]
    public void A_peft_adapter_on_timm_names_with_rslora_and_its_head_from_adapter_model_bin_matches()
    {
        var e = Expected();
        using var built = ModelFactory.Build(new ModelOptions(Fixtures.File("backbone.safetensors"), Peft("timm_all"), Heads: 3));
        Assert.Equal(5, Fixtures.Vit(built).Config.NumClasses);
        AssertLogits(built, e["timm_images"], e["timm_all.logits"]);
    }

    [Fact]
    public void The_adapter_folder_is_fingerprinted_by_its_config_and_weights()
    {
        string dir = Copy("hf_qv");
        using (var built = ModelFactory.Build(new ModelOptions(Layout("hf_vit"), dir)))
        {
            Assert.Equal(PeftAdapter.Fingerprint(dir).Sha256, built.PetlFile!.Sha256);
            Assert.Equal(Path.GetFullPath(dir), built.PetlFile.Path);
        }
        string before = PeftAdapter.Fingerprint(dir).Sha256;
        EditConfig(dir, c => c["lora_dropout"] = 0.0);
        Assert.NotEqual(before, PeftAdapter.Fingerprint(dir).Sha256);
    }

    [Fact]
    public void Inspect_reports_peft_lora_with_targets_and_ranks()
    {
        var report = InspectRunner.Run(new InspectOptions(Layout("hf_vit"), Peft("hf_patterns")));
        var p = report.PetlFile!.Petl!;
        Assert.Equal("peft-lora", p.Method);
        Assert.Equal("peft", report.PetlFile.Layout);
        Assert.Equal(3, p.AdaptedBlocks);
        Assert.Null(p.NumClasses);
        Assert.Equal(["attention.attention.key", "attention.attention.query", "attention.attention.value"], p.Targets);
        Assert.Equal([2], p.Ranks!["attention.attention.key"]);
        Assert.Equal([4, 6], p.Ranks["attention.attention.query"]);
        Assert.Equal(PeftAdapter.Fingerprint(Peft("hf_patterns")).Sha256, report.PetlFile.Sha256);
        Assert.Equal(64 * (4 + 6 + 4) + 64 * 2 * 3 + 64 * 4 * 3, report.Combined!.Petl);   // A [r, 32] + B [32, r] per module
    }

    public static TheoryData<string, Action<JsonObject>, string> Refusals => new()
    {
        { "hf_qv", c => c["use_dora"] = true, "use_dora is true: DoRA does not merge as plain LoRA" },
        { "hf_qv", c => c["bias"] = "lora_only", "bias 'lora_only' trains the layers' biases" },
        { "hf_qv", c => c["fan_in_fan_out"] = true, "fan_in_fan_out is true" },
        { "hf_qv", c => c["peft_type"] = "IA3", "peft_type 'IA3' is not LORA" },
        { "hf_qv", c => c["target_modules"] = new JsonArray("query", "value", "q_proj"),
            "target_modules entry 'q_proj' matches none of the adapter's modules" },
        { "hf_qv", c => c["target_modules"] = new JsonArray("query"), "holds LoRA weights for 'vit.encoder.layer.0.attention.attention.value', "
            + "which adapter_config.json's target_modules does not select" },
        { "hf_qv", c => c["layers_to_transform"] = new JsonArray(0), "which adapter_config.json's target_modules with layers_to_transform does not "
            + "select" },
        { "hf_qv", c => c["r"] = 8, "lora_A of 'vit.encoder.layer.0.attention.attention.query' has rank 4, but adapter_config.json gives r 8 "
            + "for it" },
        { "hf_qv", c => c["target_modules"] = "(unclosed", "target_modules '(unclosed' is not a valid regular expression" },
        { "hf_head", c => c["modules_to_save"] = new JsonArray("classifier", "layernorm"),
            "modules_to_save names 'layernorm' but the adapter holds none of its weights" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void What_cannot_be_honoured_is_refused_by_name(string name, Action<JsonObject> edit, string message)
    {
        string dir = Copy(name);
        EditConfig(dir, edit);
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(Layout("hf_vit"), dir)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lora_on_a_module_without_a_slot_and_dora_tensors_are_refused()
    {
        string dir = Copy("hf_qv");
        string weights = Path.Combine(dir, "adapter_model.safetensors");
        Dictionary<string, torch.Tensor> tensors;
        using (var f = SafetensorsFile.Open(weights)) tensors = CheckpointFile.ReadAll(f);
        tensors["base_model.model.vit.pooler.dense.lora_A.weight"] = torch.zeros(4, 32);
        tensors["base_model.model.vit.pooler.dense.lora_B.weight"] = torch.zeros(32, 4);
        SafetensorsWriter.Write(weights, tensors);
        EditConfig(dir, c => c["target_modules"] = new JsonArray("query", "value", "dense"));
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(Layout("hf_vit"), dir)));
        Assert.Contains("LoRA on 'vit.pooler.dense', which sls has no slot for", e.Message, StringComparison.Ordinal);

        tensors.Remove("base_model.model.vit.pooler.dense.lora_A.weight");
        tensors.Remove("base_model.model.vit.pooler.dense.lora_B.weight");
        tensors["base_model.model.vit.encoder.layer.0.attention.attention.query.lora_magnitude_vector"] = torch.ones(32);
        SafetensorsWriter.Write(weights, tensors);
        e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(Layout("hf_vit"), dir)));
        Assert.Contains("is DoRA's magnitude vector", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_adapter_for_another_model_and_petl_options_are_refused()
    {
        // the HF adapter's modules do not exist in a timm backbone
        var e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(Fixtures.File("backbone.safetensors"), Peft("hf_qv"),
            Heads: 3)));
        Assert.Contains("has no weight in the backbone", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<SlsInputException>(() => ModelFactory.Build(new ModelOptions(Layout("hf_vit"), Peft("hf_qv"), PetlScale: 2)));
        Assert.Contains("--petl-scale do not apply", e.Message, StringComparison.Ordinal);
        // read as a backbone or a PETL file elsewhere: one clear line
        e = Assert.Throws<SlsInputException>(() => StateDictFile.Open(Peft("hf_qv")));
        Assert.Contains("is a PEFT adapter folder", e.Message, StringComparison.Ordinal);
    }

    private static string Copy(string name)
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("sls-peft-").FullName, name);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Peft(name))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    private static void EditConfig(string dir, Action<JsonObject> edit)
    {
        string p = Path.Combine(dir, PeftAdapter.ConfigName);
        var c = JsonNode.Parse(File.ReadAllText(p))!.AsObject();
        edit(c);
        File.WriteAllText(p, c.ToJsonString());
    }
}
