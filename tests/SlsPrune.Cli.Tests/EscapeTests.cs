using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlsPrune.Cli.Tests;

/// <summary>Text from files (a task.json's class names and source, a batch's task and group names, a checkpoint's
/// metadata) reaches no output raw: an ESC byte in any of them is printed escaped by every command that shows it.</summary>
public class EscapeTests
{
    private const string Esc = "\u001b";

    private static void NoEscape(string what, (int Code, string Out, string Err) run)
    {
        Assert.True(run.Code == 0, $"{what}: exit {run.Code}: {run.Err}");
        Assert.False(run.Out.Contains(Esc, StringComparison.Ordinal),
            $"{what}: a raw ESC reached stdout: {run.Out.Replace(Esc, "<ESC>", StringComparison.Ordinal)}");
        Assert.False(run.Err.Contains(Esc, StringComparison.Ordinal),
            $"{what}: a raw ESC reached stderr: {run.Err.Replace(Esc, "<ESC>", StringComparison.Ordinal)}");
    }

    /// <summary>A copy of a safetensors file with one more metadata entry.</summary>
    internal static string WithMetadata(string source, string dir, string key, string value)
    {
        byte[] bytes = File.ReadAllBytes(source);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n))!.AsObject();
        var meta = header["__metadata__"] as JsonObject ?? [];
        header.Remove("__metadata__");
        meta[key] = value;
        header["__metadata__"] = meta;
        byte[] h = Encoding.UTF8.GetBytes(header.ToJsonString());
        string path = Path.Combine(dir, Path.GetFileName(source));
        using var f = File.Create(path);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(len, h.Length);
        f.Write(len);
        f.Write(h);
        f.Write(bytes, 8 + (int)n, bytes.Length - 8 - (int)n);
        return path;
    }

    [Fact]
    public void An_esc_byte_from_a_file_reaches_no_output_raw()
    {
        string dir = Directory.CreateTempSubdirectory("sls-escape-").FullName;
        string task = PruneEvalCommandTests.Task(12, 3);
        File.WriteAllText(Path.Combine(task, "task.json"), JsonSerializer.Serialize(new
        {
            class_names = new[] { $"red{Esc}[31m", $"clear{Esc}[2J", $"title{Esc}]0;owned\u0007" },
            source = $"src{Esc}[5m",
        }));
        string petl = WithMetadata(CliRunner.Fixture("convpass.safetensors"), dir, "note", $"hi{Esc}[31mred");
        string index = Path.Combine(dir, "index.sls.json");
        string[] model = ["--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl", petl, "--heads", "3", "--device", "cpu",
            "--allow-class-mismatch"];

        NoEscape("inspect", CliRunner.Run("inspect", petl));
        NoEscape("prune", CliRunner.Run(["prune", .. model, "--data", task, "--out", index]));
        NoEscape("prune --method bi", CliRunner.Run(["prune", .. model, "--data", task, "--method", "bi", "--out", Path.Combine(dir,
            "bi.sls.json")]));
        NoEscape("eval", CliRunner.Run(["eval", .. model, "--data", task, "--split", "train800val200", "--index", index]));

        var m = new
        {
            backbone = CliRunner.Fixture("backbone.safetensors"),
            defaults = new
            {
                stages = new[] { "prune", "eval" }, heads = 3, device = "cpu", eval_split = "train800val200",
                allow_class_mismatch = true
            },
            tasks = new[] { new { name = $"t{Esc}[31m", data = task, group = $"nat{Esc}[1mural", petl } },
        };
        string manifest = Path.Combine(dir, "manifest.json");
        File.WriteAllText(manifest, JsonSerializer.Serialize(m));
        string outDir = Path.Combine(dir, "out");
        NoEscape("batch --dry-run", CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--dry-run"));
        NoEscape("batch", CliRunner.Run("batch", "--manifest", manifest, "--out", outDir));
        NoEscape("batch --resume --json", CliRunner.Run("batch", "--manifest", manifest, "--out", outDir, "--resume", "--json"));
        var report = CliRunner.Run("report", outDir);
        NoEscape("report", report);
        Assert.Contains("t\\x1b[31m", report.Out, StringComparison.Ordinal);
        Assert.Contains("nat\\x1b[1mural", report.Out, StringComparison.Ordinal);
        NoEscape("report csv", CliRunner.Run("report", outDir, "--format", "csv"));
        NoEscape("report json", CliRunner.Run("report", outDir, "--format", "json"));
        NoEscape("report html", CliRunner.Run("report", outDir, "--format", "html"));
    }
}
