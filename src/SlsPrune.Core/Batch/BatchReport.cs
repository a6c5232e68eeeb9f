using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SlsPrune.Core.Batch;

/// <summary>One row of <c>sls report</c>: a task's accuracies (%), blocks kept, FLOPs and speed of the pruned
/// model relative to the full one, and the bytes the task stores besides the backbone.</summary>
public sealed record ReportRow(string Task, string Group, string Status, double? Full, double? Pruned, double? Retrained, double? Kept, int? Depth,
    double? FlopsRatio, double? SpeedUp, long? BytesFull, long? BytesPruned, string Method = "sls", double? MethodSeconds = null);

/// <summary>A batch's results as a table: rows in manifest-free (name) order, then group averages (Natural,
/// Specialized, Structured) and the overall average, as the PETL papers' VTAB tables have them; per method
/// when the batch compares methods.</summary>
public sealed record BatchReport(IReadOnlyList<ReportRow> Rows, IReadOnlyList<ReportRow> Averages)
{
    private static readonly string[] GroupOrder = ["natural", "specialized", "structured"];

    /// <exception cref="SlsInputException">when the folder holds no results.</exception>
    public static BatchReport Load(string outDir)
    {
        string dir = Path.Combine(outDir, "results");
        var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).ToArray() : [];
        if (files.Length == 0) throw new SlsInputException(outDir, "no results/*.json here: run 'sls batch --out' on this folder first");
        var rows = files.Select(Row).ToList();
        var averages = new List<ReportRow>();
        var methods = rows.Select(r => r.Method).Distinct().ToList();
        foreach (var method in methods)
        {
            string suffix = methods.Count > 1 ? $" ({method})" : "";
            var ok = rows.Where(r => r.Status == "ok" && r.Method == method).ToList();
            foreach (var g in ok.GroupBy(r => r.Group).OrderBy(g => Array.IndexOf(GroupOrder, g.Key) is int i && i >= 0 ? i : 99).ThenBy(g => g.Key))
                averages.Add(Average(Title(g.Key) + suffix, method, g.ToList()));
            if (ok.Count > 0) averages.Add(Average("Average" + suffix, method, ok));
        }
        return new BatchReport(rows, averages);
    }

    private static string Title(string g) => g.Length == 0 ? g : char.ToUpperInvariant(g[0]) + g[1..];

    private static ReportRow Row(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(InputFile.ReadAllBytes(path, InputFile.MaxTextBytes, "a result JSON"));
            var r = doc.RootElement;
            static JsonElement? Obj(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;
            static double? Top1(JsonElement? e) => e?.GetProperty("top1").GetDouble() * 100;
            static double? Speed(JsonElement? e) => e is JsonElement x && x.TryGetProperty("throughput", out var t) && t.ValueKind == JsonValueKind.Array && t.GetArrayLength() > 0
                ? t[0].GetProperty("images_per_second").GetDouble() : null;
            static long? Bytes(JsonElement? e) => e?.GetProperty("storage").GetProperty("per_task_bytes").GetInt64();
            static long? Flops(JsonElement? e) => e?.GetProperty("flops_per_image").GetInt64();
            static int? Int(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
            var full = Obj(r, "full");
            var pruned = Obj(r, "pruned");
            var retrained = Obj(r, "retrained");
            var last = retrained ?? pruned;
            return new ReportRow(r.GetProperty("task").GetString()!, r.TryGetProperty("group", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString()! : "",
                r.GetProperty("status").GetString()!, Top1(full), Top1(pruned), Top1(retrained), Int(r, "kept_blocks"), Int(r, "depth"),
                Flops(last) is long a && Flops(full) is long b && b > 0 ? (double)a / b : null,
                Speed(pruned) is double sp && Speed(full) is double sf && sf > 0 ? sp / sf : null, Bytes(full), Bytes(last),
                r.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "sls",
                r.TryGetProperty("method_seconds", out var ms) && ms.ValueKind == JsonValueKind.Number ? ms.GetDouble() : null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new SlsInputException(path, $"not a batch result ({(e is JsonException j ? JsonErrors.Describe(j) : "a field is missing or of the wrong kind")})");
        }
    }

    private static ReportRow Average(string name, string method, List<ReportRow> rows)
    {
        static double? Mean(IEnumerable<double?> xs) { var v = xs.Where(x => x.HasValue).Select(x => x!.Value).ToList(); return v.Count == 0 ? null : v.Average(); }
        static long? MeanL(IEnumerable<long?> xs) { var v = xs.Where(x => x.HasValue).Select(x => x!.Value).ToList(); return v.Count == 0 ? null : (long)v.Average(); }
        var kept = rows.Where(r => r.Kept.HasValue).Select(r => (double)r.Kept!.Value).ToList();
        return new ReportRow(name, "", $"{rows.Count} tasks", Mean(rows.Select(r => r.Full)), Mean(rows.Select(r => r.Pruned)), Mean(rows.Select(r => r.Retrained)),
            kept.Count == 0 ? null : kept.Average(), rows.FirstOrDefault(r => r.Depth.HasValue)?.Depth,
            Mean(rows.Select(r => r.FlopsRatio)), Mean(rows.Select(r => r.SpeedUp)), MeanL(rows.Select(r => r.BytesFull)), MeanL(rows.Select(r => r.BytesPruned)),
            method, Mean(rows.Select(r => r.MethodSeconds)));
    }

    private static readonly string[] Header = ["task", "method", "group", "status", "full", "pruned", "retrained", "blocks kept", "FLOPs kept", "speed-up", "bytes full", "bytes pruned", "method s"];

    private static string[] Cells(ReportRow r, bool markdown)
    {
        var inv = CultureInfo.InvariantCulture;
        string P(double? v) => v is double d ? d.ToString("F1", inv) : "-";
        string task = Printable.Escape(r.Task);
        return [markdown && r.Group.Length == 0 && r.Status.EndsWith("tasks", StringComparison.Ordinal) ? $"**{task}**" : task, Printable.Escape(r.Method), Printable.Escape(r.Group), Printable.Escape(r.Status),
            P(r.Full), P(r.Pruned), P(r.Retrained), r.Kept is double k ? $"{k.ToString(k % 1 == 0 ? "F0" : "F1", inv)} / {r.Depth}" : "-", r.FlopsRatio is double f ? f.ToString("F2", inv) : "-",
            r.SpeedUp is double s ? s.ToString("F2", inv) + "x" : "-", r.BytesFull?.ToString(inv) ?? "-", r.BytesPruned?.ToString(inv) ?? "-",
            r.MethodSeconds is double ms ? ms.ToString("F1", inv) : "-"];
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| " + string.Join(" | ", Header) + " |");
        sb.AppendLine("|" + string.Concat(Header.Select(_ => "---|")));
        foreach (var r in Rows.Concat(Averages)) sb.AppendLine("| " + string.Join(" | ", Cells(r, true)) + " |");
        return sb.ToString();
    }

    public string ToCsv()
    {
        static string Q(string s) => s.Contains(',', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal) ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(',', Header.Select(Q)));
        foreach (var r in Rows.Concat(Averages)) sb.AppendLine(string.Join(',', Cells(r, false).Select(Q)));
        return sb.ToString();
    }
}
