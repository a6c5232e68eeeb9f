using System.Text.Json;

namespace SlsPrune.Cli.Tests;

/// <summary>A PEFT LoRA adapter folder through the command line (scripts/make_peft_fixtures.py).</summary>
public class PeftCommandTests
{
    private static string Peft(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "peft", name);

    [Fact]
    public void Eval_takes_a_peft_folder_as_petl_and_stores_its_files_bytes()
    {
        string task = PruneEvalCommandTests.Task(5, 3);
        var (code, output, err) = CliRunner.Run(["eval", "--backbone", CliRunner.Layout("hf_vit"), "--petl", Peft("hf_head"), "--data", task,
            "--device", "cpu", "--json"]);
        Assert.True(code == 0, err);
        var e = JsonDocument.Parse(output).RootElement;
        Assert.Equal(15, e.GetProperty("images").GetInt32());
        long bytes = new FileInfo(Path.Combine(Peft("hf_head"), "adapter_config.json")).Length + new FileInfo(Path.Combine(Peft("hf_head"),
            "adapter_model.safetensors")).Length;
        Assert.Equal(bytes, e.GetProperty("storage").GetProperty("petl_bytes").GetInt64());
    }

    [Fact]
    public void Inspect_reports_peft_lora_with_targets_and_ranks()
    {
        var (code, text, err) = CliRunner.Run("inspect", CliRunner.Layout("hf_vit"), "--petl", Peft("hf_patterns"));
        Assert.True(code == 0, err);
        Assert.Contains("peft-lora", text, StringComparison.Ordinal);
        Assert.Contains("attention.attention.key (r 2)", text, StringComparison.Ordinal);
        var (jcode, json, _) = CliRunner.Run("inspect", CliRunner.Layout("hf_vit"), "--petl", Peft("hf_qv"), "--json");
        Assert.Equal(0, jcode);
        Assert.Contains("\"peft-lora\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_adapter_is_exit_code_2_and_one_line()
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("sls-peft-cli-").FullName, "dora");
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Peft("hf_qv"))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        string config = Path.Combine(dir, "adapter_config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"use_dora\": false", "\"use_dora\": true", StringComparison.Ordinal));
        var (code, _, err) = CliRunner.Run("inspect", CliRunner.Layout("hf_vit"), "--petl", dir);
        Assert.Equal(2, code);
        Assert.Contains("use_dora is true", err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
    }
}
