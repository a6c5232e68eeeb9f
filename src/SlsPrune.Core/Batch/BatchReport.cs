using System.Globalization;
using System.Text;
using System.Text.Json;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Batch;

/// <summary>One row of <c>sls report</c>: a task's accuracies (%), blocks kept, FLOPs and speed of the pruned
/// model relative to the full one, and the bytes the task stores besides the backbone.</summary>
public sealed record ReportRow(string Task, string Group, string Status, double? Full, double? Pruned, double? Retrained, double? Kept, int? Depth,
    double? FlopsRatio, double? SpeedUp, long? BytesFull, long? BytesPruned, string Method = "sls", double? MethodSeconds = null)
{
    /// <summary>The input size the task's model ran at and where it came from (<c>224 px, assumed</c>); null where its
    /// result does not say (older results, averages).</summary>
    public string? Input { get; init; }

    /// <summary>What the task's prune method recorded of its own, in its words (the lines of its index section:
    /// <see cref="Indexing.IIndexSection.Summary"/>); null where it recorded nothing or the result predates them.</summary>
    public IReadOnlyList<string>? MethodDetails { get; init; }

    /// <summary>Whether the row is an average over tasks (its status "1 task", "N tasks"), not one task's.</summary>
    public static bool IsAverage(ReportRow r) =>
        r.Group.Length == 0 && (r.Status == "1 task" || r.Status.EndsWith(" tasks", StringComparison.Ordinal));

    /// <summary>Why <see cref="SpeedUp"/> is no speed-up, or null: <c>within noise</c> when it lies inside the timings' own
    /// band (the larger repeat spread of the two measurements), <c>same FLOPs</c> when the pruned model computes what the
    /// full one does (every block kept: the same model timed twice).</summary>
    public string? SpeedUpNoise { get; init; }

    /// <summary>A task's wall time (s), its error and the stage it failed in, from its result (null: not said; CI reports).</summary>
    public double? Seconds { get; init; }

    public string? Error { get; init; }

    public string? FailedStage { get; init; }
}

/// <summary>A batch's results as a table: rows in manifest-free (name) order, then group averages (Natural,
/// Specialized, Structured) and the overall average, as the PETL papers' VTAB tables have them; per method
/// when the batch compares methods.</summary>
public sealed record BatchReport(IReadOnlyList<ReportRow> Rows, IReadOnlyList<ReportRow> Averages)
{
    private static readonly string[] GroupOrder = ["natural", "specialized", "structured"];

    /// <summary>What the folder should hold and what it lacks (with the manifest given to <c>sls report</c> or recorded by
    /// <c>sls batch</c>); null where neither says (an older folder).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public Completeness? Completeness { get; init; }

    /// <param name="expected">the tasks the folder should hold: a missing one gets a row with status <c>missing</c>, and
    /// the report its <see cref="Completeness"/>; null: only the results there (and none is refused).</param>
    /// <exception cref="SlsInputException">when the folder holds no results and nothing says what it should hold.</exception>
    public static BatchReport Load(string outDir, Expected? expected = null)
    {
        string dir = Path.Combine(outDir, "results");
        var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).ToArray() : [];
        if (files.Length == 0 && expected is null) throw new SlsInputException(outDir, "no results/*.json here: run 'sls batch --out' on this "
            + "folder first");
        var rows = files.Select(Row).ToList();
        Completeness? completeness = null;
        if (expected is not null)
        {
            var present = rows.Select(r => r.Task).ToHashSet(StringComparer.Ordinal);
            var missing = expected.Tasks.Where(t => !present.Contains(t.Name)).ToList();
            rows.AddRange(missing.Select(t => new ReportRow(t.Name, t.Group ?? "", "missing", null, null, null, null, null, null, null, null, null,
                t.Method ?? BatchDefaults.Method)));
            rows.Sort((x, y) => string.CompareOrdinal(x.Task, y.Task));
            var wanted = expected.Tasks.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            completeness = new Completeness(expected.From, expected.Tasks.Count, [.. missing.Select(t => t.Name)],
                [.. rows.Where(r => wanted.Contains(r.Task) && r.Status is not ("ok" or "missing")).Select(r => r.Task)]);
        }
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
        return new BatchReport(rows, averages) { Completeness = completeness };
    }

    private static string Title(string g) => g.Length == 0 ? g : char.ToUpperInvariant(g[0]) + g[1..];

    private static ReportRow Row(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(InputFile.ReadAllBytes(path, InputFile.MaxTextBytes, "a result JSON"));
        }
        catch (JsonException e)
        {
            throw new SlsInputException(path, $"not a batch result ({JsonErrors.Describe(e)})");
        }
        using (doc)
        {
            var f = new ResultFields(path);
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) throw new SlsInputException(path, "not a batch result (not a JSON object)");
            double? Top1(JsonElement? e, string at) => e is JsonElement x ? f.Number(x, "top1", at, required: true, 0, 1) * 100 : null;
            double? Speed(JsonElement? e, string at)
            {
                if (e is not JsonElement x || f.Array(x, "throughput", at) is not JsonElement t || t.GetArrayLength() == 0) return null;
                return t[0].ValueKind == JsonValueKind.Object ? f.Number(t[0], "images_per_second", at + ".throughput[0]", required: true, 0)
                    : throw f.Wrong(at + ".throughput[0]", "an object");
            }
            long? Bytes(JsonElement? e, string at) => e is JsonElement x
                ? f.Integer(f.Object(x, "storage", at, required: true)!.Value, "per_task_bytes", at + ".storage", required: true, 0) : null;
            long? Flops(JsonElement? e, string at) => e is JsonElement x ? f.Integer(x, "flops_per_image", at, required: true, 0) : null;
            var full = f.Object(r, "full", "");
            var pruned = f.Object(r, "pruned", "");
            var retrained = f.Object(r, "retrained", "");
            double? Spread(JsonElement? e, string at) => e is JsonElement x && f.Array(x, "throughput", at) is JsonElement t && t.GetArrayLength() > 0
                    && t[0].ValueKind == JsonValueKind.Object
                    ? f.Number(t[0], "spread", at + ".throughput[0]", min: 0) : null;
            var (last, lastName) = retrained is null ? (pruned, "pruned") : (retrained, "retrained");
            int? Int(string name) => f.Integer(r, name, "") is long v ? v is >= 0 and <= int.MaxValue ? (int)v : throw f.Wrong(name,
                "a count (0 or more)") : null;
            if (Int("kept_blocks") is int kept && Int("depth") is int depth && kept > depth)
                throw f.Wrong("kept_blocks", $"at most the depth ({depth})");
            double? speedUp = Speed(pruned, "pruned") is double sp && Speed(full, "full") is double sf && sf > 0 ? sp / sf : null;
            double? prunedFlops = Flops(pruned, "pruned") is long pf && Flops(full, "full") is long ff && ff > 0 ? (double)pf / ff : null;
            return new ReportRow(f.String(r, "task", "", required: true)!, f.String(r, "group", "") ?? "", f.String(r, "status", "", required: true)!,
                Top1(full, "full"), Top1(pruned, "pruned"), Top1(retrained, "retrained"), Int("kept_blocks"), Int("depth"),
                Flops(last, lastName) is long a && Flops(full, "full") is long b && b > 0 ? (double)a / b : null,
                speedUp, Bytes(full, "full"), Bytes(last, lastName),
                f.String(r, "method", "") ?? BatchDefaults.Method, f.Number(r, "method_seconds", "", min: 0))
            {
                Input = InputOf(full ?? pruned),
                MethodDetails = f.Strings(r, "method_details", ""),
                Seconds = f.Number(r, "seconds", "", min: 0),
                Error = f.String(r, "error", ""),
                FailedStage = f.String(r, "failed_stage", ""),
                SpeedUpNoise = speedUp is double su ? SpeedNoise.Judge(su, prunedFlops, Spread(full, "full"), Spread(pruned, "pruned")) : null,
            };
            string? InputOf(JsonElement? e)
            {
                if (e is not JsonElement x || x.ValueKind != JsonValueKind.Object || !x.TryGetProperty("input", out var i)
                    || i.ValueKind != JsonValueKind.Object) return null;
                return i.TryGetProperty("image_size", out var size) && size.TryGetInt32(out int px) && i.TryGetProperty("from", out var from)
                    && from.ValueKind == JsonValueKind.String
                    ? $"{px} px, {from.GetString()}" : null;
            }
        }
    }

    private static ReportRow Average(string name, string method, List<ReportRow> rows)
    {
        static double? Mean(IEnumerable<double?> xs)
        {
            var v = xs.Where(x => x.HasValue).Select(x => x!.Value).ToList(); return v.Count == 0 ? null
            : v.Average();
        }
        static long? MeanL(IEnumerable<long?> xs)
        {
            var v = xs.Where(x => x.HasValue).Select(x => x!.Value).ToList(); return v.Count == 0 ? null
            : (long)v.Average();
        }
        var kept = rows.Where(r => r.Kept.HasValue).Select(r => (double)r.Kept!.Value).ToList();
        return new ReportRow(name, "", rows.Count == 1 ? "1 task" : $"{rows.Count} tasks", Mean(rows.Select(r => r.Full)), Mean(rows.Select(r =>
            r.Pruned)), Mean(rows.Select(r => r.Retrained)),
            kept.Count == 0 ? null : kept.Average(), rows.FirstOrDefault(r => r.Depth.HasValue)?.Depth,
            Mean(rows.Select(r => r.FlopsRatio)), Mean(rows.Select(r => r.SpeedUp)), MeanL(rows.Select(r => r.BytesFull)), MeanL(rows.Select(r =>
                r.BytesPruned)),
            method, Mean(rows.Select(r => r.MethodSeconds)));
    }

    private static readonly string[] Header = ["task", "method", "group", "status", "full", "pruned", "retrained", "blocks kept", "FLOPs kept",
        "speed-up", "bytes full", "bytes pruned", "method s", "input"];

    private static string[] Cells(ReportRow r, bool markdown)
    {
        var inv = CultureInfo.InvariantCulture;
        string P(double? v) => v is double d ? d.ToString("F1", inv) : "-";
        string task = Printable.Escape(r.Task);
        return [markdown && r.Group.Length == 0 && ReportRow.IsAverage(r) ? $"**{task}**" : task, Printable.Escape(r.Method),
            Printable.Escape(r.Group), Printable.Escape(r.Status),
            P(r.Full), P(r.Pruned), P(r.Retrained), r.Kept is double k ? $"{k.ToString(k % 1 == 0 ? "F0" : "F1", inv)} / {r.Depth}" : "-",
                r.FlopsRatio is double f ? f.ToString("F2", inv) : "-",
            r.SpeedUp is double s ? s.ToString("F2", inv) + "x" + (r.SpeedUpNoise is string why ? $" ({why})" : "") : "-", r.BytesFull?.ToString(inv)
                ?? "-", r.BytesPruned?.ToString(inv) ?? "-",
            r.MethodSeconds is double ms ? ms.ToString("F1", inv) : "-", Printable.Escape(r.Input ?? "-")];
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| " + string.Join(" | ", Header) + " |");
        sb.AppendLine("|" + string.Concat(Header.Select(_ => "---|")));
        foreach (var r in Rows.Concat(Averages)) sb.AppendLine("| " + string.Join(" | ", Cells(r, true)) + " |");
        if (BiggerNote() is { } note) sb.AppendLine().AppendLine(note);
        var details = Details();
        if (details.Count > 0)
        {
            sb.AppendLine().AppendLine("Method details:").AppendLine();
            foreach (var (task, method, lines) in details)
                sb.AppendLine(CultureInfo.InvariantCulture, $"- {Printable.Escape(task)} ({Printable.Escape(method)}): "
                    + $"{string.Join("; ", lines.Select(Printable.Escape))}");
        }
        return sb.ToString();
    }

    /// <summary>Every task's method details (<see cref="ReportRow.MethodDetails"/>), in row order.</summary>
    public IReadOnlyList<(string Task, string Method, IReadOnlyList<string> Lines)> Details() =>
        Rows.Where(r => r.MethodDetails is { Count: > 0 }).Select(r => (r.Task, r.Method, r.MethodDetails!)).ToList();

    /// <summary>Why a pruned task can store more bytes than the full one, said where a row shows it: a task stores its
    /// PETL file (every block's adapters; the loader reads only the kept blocks') and, once pruned, its index too.</summary>
    public string? BiggerNote()
    {
        var bigger = Rows.Where(r => r.BytesPruned > r.BytesFull).Select(r => r.Task).ToList();
        return bigger.Count == 0 ? null
            : $"Bytes pruned is larger than bytes full for {string.Join(", ", bigger.Select(Printable.Escape))}: a pruned task stores the same "
                + $"PETL file "
                + "(every block's adapters; only the kept blocks' are read) plus its index. Layer pruning saves compute, not storage, unless the "
                    + "PETL file is exported pruned (`sls export --index`).";
    }

    public string ToCsv()
    {
        static string Q(string s) => s.Contains(',', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal) ? "\"" + s.Replace("\"",
            "\"\"", StringComparison.Ordinal) + "\"" : s;
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(',', Header.Select(Q)));
        foreach (var r in Rows.Concat(Averages)) sb.AppendLine(string.Join(',', Cells(r, false).Select(Q)));
        return sb.ToString();
    }
}
