using System.Text.Json.Nodes;
using SlsPrune.Core.Checkpoints;
using TorchSharp;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// Rule two for what the files say about the model: an option or a file that contradicts what a checkpoint records
/// builds another model from the same weights, and each case here gave a plausible top-1 at exit 0 before (found by a
/// hostile audit): a <c>--petl-scale</c> over the file's recorded scale (24.5% for 99.5%), adapters for blocks the
/// backbone lacks (dropped unread), a <c>--model</c> variant of another width, a <c>--heads</c> over an export's recorded
/// heads, and an index computed without PETL weights used with some. Now each is refused with its one line.
/// </summary>
public class ModelContradictionTests
{
    private static readonly string Backbone = ShippedModel.Backbone, Petl = ShippedModel.Petl, Task = ShippedModel.Task;

    private static string[] Eval(params string[] more) =>
        ["eval", "--backbone", Backbone, "--petl", Petl, "--data", Task, "--split", "train800val200", "--device", "cpu", "--json", .. more];

    private static double Top1(string json) => JsonNode.Parse(json)!["top1"]!.GetValue<double>();

    [Fact]
    public void A_petl_scale_other_than_the_files_is_refused_and_the_same_one_is_accepted()
    {
        var (code, stdout, err) = CliRunner.Run(Eval("--petl-scale", "10"));
        Assert.Equal(2, code);
        Assert.Equal($"sls: {Petl}: --petl-scale 10 disagrees with the file's petl_scale 1 (the scale its adapters were trained with)",
            CliRunner.LastLine(err));
        Assert.Equal("", stdout);

        var plain = CliRunner.Run(Eval());
        var same = CliRunner.Run(Eval("--petl-scale", "1"));
        Assert.True(plain.Code == 0 && same.Code == 0, plain.Err + same.Err);
        Assert.Equal(Top1(plain.Out), Top1(same.Out));
        Assert.True(Top1(plain.Out) > 0.9);
    }

    /// <summary>A copy of the shipped PETL file with <paramref name="extra"/> tensors added and its metadata changed.</summary>
    private static string EditedPetl(string dir, Dictionary<string, torch.Tensor> extra, Dictionary<string, string> metadata)
    {
        string path = Path.Combine(dir, "edited.safetensors");
        using var f = SafetensorsFile.Open(Petl);
        var tensors = f.Tensors.ToDictionary(t => t.Name, t => f.Read(t.Name));
        foreach (var (k, v) in extra) tensors[k] = v;
        var meta = new Dictionary<string, string>(f.Metadata);
        foreach (var (k, v) in metadata) meta[k] = v;
        SafetensorsWriter.Write(path, tensors, meta);
        foreach (var t in tensors.Values) t.Dispose();
        return path;
    }

    [Fact]
    public void Adapters_for_blocks_the_backbone_lacks_are_refused_not_dropped()
    {
        string dir = Directory.CreateTempSubdirectory("sls-contradiction-").FullName;
        string beyond = EditedPetl(dir, new() { ["blocks.11.adapter_attn.adapter_conv.weight"] = torch.zeros(8, 8, 3, 3) }, []);
        var (code, _, err) = CliRunner.Run(["eval", "--backbone", Backbone, "--petl", beyond, "--data", Task, "--split", "train800val200"]);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {beyond}: holds weights for block 11, but the backbone has 8 blocks (0..7): it was written for another backbone",
            CliRunner.LastLine(err));
        var inspect = CliRunner.Run("inspect", Backbone, "--petl", beyond);
        Assert.Equal(2, inspect.Code);
        Assert.Equal(CliRunner.LastLine(err), CliRunner.LastLine(inspect.Err));

        string deeper = EditedPetl(dir, [], new() { ["depth"] = "12" });
        var (code2, _, err2) = CliRunner.Run(["eval", "--backbone", Backbone, "--petl", deeper, "--data", Task, "--split", "train800val200"]);
        Assert.Equal(2, code2);
        Assert.Equal($"sls: {deeper}: was written for a backbone of 12 blocks (its metadata says depth 12), but the backbone has 8",
            CliRunner.LastLine(err2));
    }

    [Fact]
    public void A_model_variant_of_another_width_and_heads_over_an_exports_record_are_refused()
    {
        var (code, _, err) = CliRunner.Run(Eval("--model", "vit_base_patch16_224"));
        Assert.Equal(2, code);
        Assert.Equal($"sls: --model: vit_base_patch16_224 has width 768, but {Backbone} has width 192: name a variant of its width, or give "
            + "its heads with --heads", CliRunner.LastLine(err));
        // a variant of its width and another patch size names its heads (as vit_large_patch16_224 names a ViT-L/14's)
        var tiny = CliRunner.Run(Eval("--model", "vit_tiny_patch16_224"));
        Assert.True(tiny.Code == 0, tiny.Err);

        string dir = Directory.CreateTempSubdirectory("sls-contradiction-").FullName;
        string export = Path.Combine(dir, "standalone.safetensors");
        var exported = CliRunner.Run("export", "--backbone", Backbone, "--petl", Petl, "--format", "safetensors", "--out", export);
        Assert.True(exported.Code == 0, exported.Err);
        string[] evalExport = ["eval", "--backbone", export, "--data", Task, "--split", "train800val200", "--device", "cpu", "--json"];
        var (code2, _, err2) = CliRunner.Run([.. evalExport, "--heads", "6"]);
        Assert.Equal(2, code2);
        Assert.Equal($"sls: --heads: 6 heads contradicts {export}, which records 3", CliRunner.LastLine(err2));
        var (code3, _, err3) = CliRunner.Run([.. evalExport, "--petl-scale", "10"]);
        Assert.Equal(2, code3);
        Assert.Equal($"sls: {export}: --petl-scale 10 disagrees with the file's petl_scale 1 (the scale its adapters were trained with)",
            CliRunner.LastLine(err3));
        // what the export records, given again, is the same model
        var same = CliRunner.Run([.. evalExport, "--heads", "3"]);
        var plain = CliRunner.Run(Eval());
        Assert.True(same.Code == 0, same.Err);
        Assert.Equal(Top1(plain.Out), Top1(same.Out));
    }

    [Fact]
    public void An_index_computed_without_petl_weights_is_refused_with_some()
    {
        string dir = Directory.CreateTempSubdirectory("sls-contradiction-").FullName;
        string export = Path.Combine(dir, "standalone.safetensors"), index = Path.Combine(dir, "i.sls.json");
        Assert.Equal(0, CliRunner.Run("export", "--backbone", Backbone, "--petl", Petl, "--format", "safetensors", "--out", export).Code);
        var pruned = CliRunner.Run("prune", "--backbone", export, "--data", Task, "--out", index, "--device", "cpu");
        Assert.True(pruned.Code == 0, pruned.Err);

        string[] eval = ["eval", "--backbone", export, "--petl", Petl, "--index", index, "--data", Task, "--split", "train800val200", "--device",
            "cpu"];
        var (code, _, err) = CliRunner.Run(eval);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {index}: was computed without a PETL file (on the backbone's own adapters and head), not with {Petl}: leave --petl "
            + "out, or pass --allow-mismatch to use it anyway", CliRunner.LastLine(err));
        var allowed = CliRunner.Run([.. eval, "--allow-mismatch"]);
        Assert.True(allowed.Code == 0, allowed.Err);
        var own = CliRunner.Run("eval", "--backbone", export, "--index", index, "--data", Task, "--split", "train800val200", "--device", "cpu");
        Assert.True(own.Code == 0, own.Err);
    }
}
