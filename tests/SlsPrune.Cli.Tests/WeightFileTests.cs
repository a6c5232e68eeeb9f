using SlsPrune.Core.Checkpoints;
using TorchSharp;

namespace SlsPrune.Cli.Tests;

/// <summary>
/// The strict loader names the file each weight came from and takes floating-point parameters only from floating-point
/// tensors (found by a hostile audit: a backbone cast to int8, int32 or bool ran at exit 0 with top-1 at chance, and a
/// backbone's wrong shape or extra tensor was blamed on the PETL file).
/// </summary>
public class WeightFileTests
{
    private static readonly string Backbone = ShippedModel.Backbone, Petl = ShippedModel.Petl, Task = ShippedModel.Task;

    /// <summary>A copy of <paramref name="source"/> with each tensor passed through <paramref name="edit"/> (null drops it) and
    /// <paramref name="extra"/> added.</summary>
    private static string Edited(string source, string name, Func<string, torch.Tensor, torch.Tensor?> edit,
        Dictionary<string, torch.Tensor>? extra = null)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("sls-weights-").FullName, name);
        using var f = SafetensorsFile.Open(source);
        var tensors = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (var t in f.Tensors)
            if (edit(t.Name, f.Read(t.Name)) is { } kept) tensors[t.Name] = kept;
        foreach (var (k, v) in extra ?? []) tensors[k] = v;
        SafetensorsWriter.Write(path, tensors, f.Metadata);
        foreach (var t in tensors.Values) t.Dispose();
        return path;
    }

    private static (int Code, string Out, string Line) Eval(string backbone, string petl, params string[] more)
    {
        var (code, stdout, err) = CliRunner.Run(["eval", "--backbone", backbone, "--petl", petl, "--allow-mismatch", "--data", Task, "--split",
            "train800val200", "--device", "cpu", "--json", .. more]);
        return (code, stdout, CliRunner.LastLine(err));
    }

    private const string NeedsFloat = "the model's parameter needs floating-point weights (F32, F16, BF16 or F64)";

    [Theory]
    [InlineData("int8", "integer")]
    [InlineData("int32", "integer")]
    [InlineData("int64", "integer")]
    [InlineData("bool", "boolean")]
    public void A_backbone_of_integer_or_boolean_weights_is_refused_by_file_and_tensor(string type, string kind)
    {
        var scalar = type switch
        {
            "int8" => torch.int8,
            "int32" => torch.int32,
            "int64" => torch.int64,
            _ => torch.@bool,
        };
        // the weights' values cast, as the audit's files were (every tensor: a model that ran at chance)
        string cast = Edited(Backbone, $"{type}.safetensors", (_, t) => t.to(scalar));
        var (code, stdout, line) = Eval(cast, Petl);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {cast}: weight 'cls_token' holds {kind} values; {NeedsFloat}", line);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void One_integer_tensor_is_refused_in_the_file_that_holds_it()
    {
        string backbone = Edited(Backbone, "b.safetensors", (n, t) => n == "blocks.3.mlp.fc2.bias" ? t.to(torch.int32) : t);
        var (code, stdout, line) = Eval(backbone, Petl);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {backbone}: weight 'blocks.3.mlp.fc2.bias' holds integer values; {NeedsFloat}", line);
        Assert.Equal("", stdout);

        string petl = Edited(Petl, "p.safetensors", (n, t) => n == "head.bias" ? t.to(torch.int16) : t);
        var (code2, stdout2, line2) = Eval(Backbone, petl);
        Assert.Equal(2, code2);
        Assert.Equal($"sls: {petl}: weight 'head.bias' holds integer values; {NeedsFloat}", line2);
        Assert.Equal("", stdout2);

        // half and double precision files are floating point: accepted
        string half = Edited(Backbone, "f16.safetensors", (_, t) => t.to(torch.float16));
        var (ok, json, okLine) = Eval(half, Petl);
        Assert.True(ok == 0, okLine);
        Assert.Contains("\"top1\"", json);
    }

    [Fact]
    public void A_backbones_wrong_shape_or_extra_tensor_names_the_backbone_not_the_petl_file()
    {
        string zero = Edited(Backbone, "zero_qkv.safetensors", (n, t) => n == "blocks.0.attn.qkv.bias" ? torch.zeros(0) : t);
        var (code, stdout, line) = Eval(zero, Petl);
        Assert.Equal(2, code);
        Assert.Equal($"sls: {zero}: weight 'blocks.0.attn.qkv.bias' has shape [0], the model needs [576]", line);
        Assert.Equal("", stdout);

        string norm = Edited(Backbone, "norm_scalar.safetensors", (n, t) => n == "norm.weight" ? torch.ones(1) : t);
        var (code2, _, line2) = Eval(norm, Petl);
        Assert.Equal(2, code2);
        Assert.Equal($"sls: {norm}: weight 'norm.weight' has shape [1], the model needs [192]", line2);

        string extra = Edited(Backbone, "scalar_extra.safetensors", (_, t) => t, new() { ["extra.scalar"] = torch.ones(1) });
        var (code3, _, line3) = Eval(extra, Petl);
        Assert.Equal(2, code3);
        Assert.Equal($"sls: {extra}: 1 unexpected weight(s): extra.scalar", line3);

        // the PETL file's own defects still name the PETL file
        string petl = Edited(Petl, "p.safetensors", (n, t) => n == "head.bias" ? torch.zeros(3) : t);
        var (code4, _, line4) = Eval(Backbone, petl);
        Assert.Equal(2, code4);
        Assert.Equal($"sls: {petl}: weight 'head.bias' has shape [3], the model needs [5]", line4);
        string lacking = Edited(Petl, "lacking.safetensors", (n, t) => n == "blocks.2.adapter_mlp.adapter_down.bias" ? null : t);
        var (code5, _, line5) = Eval(Backbone, lacking);
        Assert.Equal(2, code5);
        Assert.Equal($"sls: {lacking}: missing 1 weight(s) the model needs: blocks.2.adapter_mlp.adapter_down.bias", line5);
    }
}
