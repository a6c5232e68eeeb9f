using System.Security.Cryptography;
using System.Text.Json;

namespace SlsPrune.Cli.Tests;

public class InspectCommandTests
{
    private static JsonElement Json(params string[] args)
    {
        var (code, output, err) = CliRunner.Run(["inspect", .. args, "--json"]);
        Assert.True(code == 0, err);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    [Theory]
    [InlineData("backbone.safetensors", "safetensors", 46)]
    [InlineData("backbone.pth", "pytorch-zip", 46)]
    [InlineData("backbone.npz", "npz", 58)]
    public void Backbone_architecture_and_counts_in_each_format(string file, string format, int tensors)
    {
        var r = Json(CliRunner.Fixture(file), "--heads", "3").GetProperty("checkpoint");
        Assert.Equal(format, r.GetProperty("format").GetString());
        Assert.Equal(tensors, r.GetProperty("tensor_count").GetInt32());
        var a = r.GetProperty("architecture");
        Assert.Equal(8, a.GetProperty("patch_size").GetInt32());
        Assert.Equal(32, a.GetProperty("image_size").GetInt32());
        Assert.Equal(17, a.GetProperty("tokens").GetInt32());
        Assert.Equal(48, a.GetProperty("width").GetInt32());
        Assert.Equal(3, a.GetProperty("depth").GetInt32());
        Assert.Equal(3, a.GetProperty("heads").GetInt32());
        Assert.Equal(96, a.GetProperty("mlp_hidden").GetInt32());
        Assert.Equal(7, a.GetProperty("num_classes").GetInt32());
        Assert.True(a.GetProperty("pre_logits").GetBoolean());
        var p = r.GetProperty("parameters");
        // patch 48*3*8*8+48, cls 48, pos 17*48, norm 96, pre_logits 48*48+48, per block 2*96 + 48*144+144 + 48*48+48 + 48*96+96 + 96*48+48
        long perBlock = 2 * 96 + (48 * 144 + 144) + (48 * 48 + 48) + (48 * 96 + 96) + (96 * 48 + 48);
        long backbone = (48 * 3 * 8 * 8 + 48) + 48 + 17 * 48 + 96 + (48 * 48 + 48) + 3 * perBlock;
        Assert.Equal(backbone, p.GetProperty("backbone").GetInt64());
        Assert.Equal(7 * 48 + 7, p.GetProperty("head").GetInt64());
        Assert.Equal(0, p.GetProperty("petl").GetInt64());
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(CliRunner.Fixture(file))));
        Assert.Equal(sha, r.GetProperty("sha256").GetString());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("petl").ValueKind);
    }

    [Theory]
    [InlineData("tv_vit.pth", "torchvision", "pytorch-zip")]
    [InlineData("hf_vit", "huggingface-vit", "safetensors")]
    [InlineData("hf_vitmodel", "huggingface-vit", "pytorch-zip")]
    public void Layout_and_family_of_other_libraries_checkpoints_and_folders(string name, string layout, string format)
    {
        var r = Json(CliRunner.Layout(name)).GetProperty("checkpoint");
        Assert.Equal(layout, r.GetProperty("layout").GetString());
        Assert.Equal(format, r.GetProperty("format").GetString());
        Assert.Equal("vit", r.GetProperty("architecture").GetProperty("kind").GetString());
        var (code, text, err) = CliRunner.Run("inspect", CliRunner.Layout(name));
        Assert.True(code == 0, err);
        Assert.Contains($"{layout} (family vit)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Heads_are_null_when_width_is_not_a_variant_and_no_flag_is_given()
    {
        var a = Json(CliRunner.Fixture("backbone.safetensors")).GetProperty("checkpoint").GetProperty("architecture");
        Assert.Equal(JsonValueKind.Null, a.GetProperty("heads").ValueKind);
        Assert.Equal(JsonValueKind.Null, a.GetProperty("variant").ValueKind);
    }

    [Theory]
    [InlineData("convpass.pt", "convpass", 8448)]
    [InlineData("repadapter.pt", "repadapter", 3 * 2 * (8 * 48 + 8 + 48 * 4 + 48))]
    public void Reference_adapter_dict_is_detected(string file, string method, long petlParams)
    {
        var r = Json(CliRunner.Fixture(file)).GetProperty("checkpoint");
        Assert.Equal("pytorch-zip", r.GetProperty("format").GetString());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("architecture").ValueKind);
        var p = r.GetProperty("petl");
        Assert.Equal(method, p.GetProperty("method").GetString());
        Assert.Equal(8, p.GetProperty("hidden_dim").GetInt32());
        Assert.Equal(3, p.GetProperty("adapted_blocks").GetInt32());
        Assert.Equal(5, p.GetProperty("num_classes").GetInt32());
        Assert.Equal(JsonValueKind.Null, p.GetProperty("scale").ValueKind);
        Assert.Equal(petlParams, r.GetProperty("parameters").GetProperty("petl").GetInt64());
        Assert.Equal(5 * 48 + 5, r.GetProperty("parameters").GetProperty("head").GetInt64());
    }

    [Fact]
    public void Backbone_with_petl_reports_combined_counts_and_metadata_scale()
    {
        var root = Json(CliRunner.Fixture("backbone.safetensors"), "--petl", CliRunner.Fixture("convpass.safetensors"));
        var petl = root.GetProperty("petl_file");
        Assert.Equal(0.7, petl.GetProperty("petl").GetProperty("scale").GetDouble());
        Assert.Equal("convpass", petl.GetProperty("metadata").GetProperty("petl_method").GetString());
        var c = root.GetProperty("combined");
        Assert.Equal(8448, c.GetProperty("petl").GetInt64());
        Assert.Equal(5 * 48 + 5, c.GetProperty("head").GetInt64());
        Assert.Equal(c.GetProperty("backbone").GetInt64() + 8448 + 245, c.GetProperty("total").GetInt64());
    }

    [Fact]
    public void Human_output_names_the_architecture()
    {
        var (code, output, _) = CliRunner.Run("inspect", CliRunner.Fixture("backbone.npz"), "--heads", "3");
        Assert.Equal(0, code);
        Assert.Contains("width 48, depth 3, heads 3, MLP 96", output, StringComparison.Ordinal);
        Assert.Contains("npz", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_torchvision_swin_is_reported_as_swin_with_its_stages()
    {
        string swin = Path.Combine(AppContext.BaseDirectory, "fixtures", "swin", "a.pth");
        var a = Json(swin).GetProperty("checkpoint").GetProperty("architecture");
        Assert.Equal("swin", a.GetProperty("kind").GetString());
        Assert.Equal((8, 32, 224), (a.GetProperty("depth").GetInt32(), a.GetProperty("width").GetInt32(), a.GetProperty("image_size").GetInt32()));
        Assert.Equal("depths 2-2-2-2, heads 1-2-2-4, windows 3-3-3-3, widths 4-8-16-32", a.GetProperty("stages").GetString());
        var (code, output, _) = CliRunner.Run("inspect", swin);
        Assert.Equal(0, code);
        Assert.Contains("swin (not a table variant): patch 4", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Pickle_naming_os_system_exits_2_with_one_line_naming_file_and_global()
    {
        var (code, output, err) = CliRunner.Run("inspect", CliRunner.Fixture("evil.pt"));
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.Contains("evil.pt", line, StringComparison.Ordinal);
        Assert.Contains("posix.system", line, StringComparison.Ordinal);
        Assert.False(File.Exists("/tmp/slsprune-evil-ran"));
    }

    [Theory]
    [InlineData("backbone.safetensors", 7)]
    [InlineData("backbone.safetensors", 200)]
    [InlineData("backbone.safetensors", 100_000)]
    [InlineData("convpass.pt", 20_000)]
    [InlineData("convpass.pt", 45_900)]
    [InlineData("backbone.npz", 1_000)]
    [InlineData("backbone.npz", 298_000)]
    [InlineData("backbone.pth", 50)]
    public void Truncated_files_exit_2_with_one_clear_line(string file, int bytes)
    {
        string p = CliRunner.Truncated(file, bytes);
        var (code, output, err) = CliRunner.Run("inspect", p, "--json");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"sls: {p}: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_and_bad_options_exit_2()
    {
        Assert.Equal(2, CliRunner.Run("inspect", "/nonexistent/x.safetensors").Code);
        Assert.Equal(2, CliRunner.Run("inspect", CliRunner.Fixture("backbone.safetensors"), "--heads", "0").Code);
        Assert.Equal(2, CliRunner.Run("inspect").Code);
        Assert.Equal(2, CliRunner.Run("frobnicate").Code);
        // heads that do not divide the width
        var (code, _, err) = CliRunner.Run("inspect", CliRunner.Fixture("backbone.safetensors"), "--heads", "5");
        Assert.Equal(2, code);
        Assert.Contains("not divisible by 5 heads", err, StringComparison.Ordinal);
    }
}

public class ShippedModelTests
{
    internal static string RepoRoot() => FindRoot();

    private static string Models(params string[] parts) => Path.Combine([FindRoot(), "models", "fmnist-vit8", .. parts]);

    private static string FindRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "SlsPrune.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public void Shipped_backbone_and_petl_files_are_what_the_readme_says()
    {
        var (code, output, err) = CliRunner.Run("inspect", Models("backbone.safetensors"), "--petl",
            Models("structured-location.convpass.safetensors"), "--json");
        Assert.True(code == 0, err);
        var r = JsonDocument.Parse(output).RootElement;
        var a = r.GetProperty("checkpoint").GetProperty("architecture");
        Assert.Equal((8, 32, 192, 8, 3, 384), (a.GetProperty("patch_size").GetInt32(), a.GetProperty("image_size").GetInt32(), a.GetProperty("width")
            .GetInt32(),
            a.GetProperty("depth").GetInt32(), a.GetProperty("heads").GetInt32(), a.GetProperty("mlp_hidden").GetInt32()));
        var petl = r.GetProperty("petl_file");
        Assert.Equal("convpass", petl.GetProperty("petl").GetProperty("method").GetString());
        Assert.Equal(5, petl.GetProperty("petl").GetProperty("num_classes").GetInt32());
        Assert.Equal(8, petl.GetProperty("petl").GetProperty("adapted_blocks").GetInt32());
        Assert.Equal(r.GetProperty("checkpoint").GetProperty("sha256").GetString(), petl.GetProperty("metadata").GetProperty("backbone_sha256")
            .GetString());
        Assert.Equal(1000, File.ReadAllLines(Models("calibration", "structured-location", "train800val200.txt")).Length);
    }
}
