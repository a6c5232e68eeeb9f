using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.IO;
using SlsPrune.Core.Plotting;

namespace SlsPrune.Core.Batch;

/// <summary>One task's score curve for the report: from its result file (the index's scores, threshold and kept blocks),
/// else from <c>tasks/NAME/index.sls.json</c> beside it (batches written before results carried them).</summary>
public sealed record TaskScores(string Task, string Method, ScoreFigureData Figure);

/// <summary><c>sls report DIR --format html</c>: one self-contained page (no network, figures as <c>data:</c> URIs)
/// with the per-task table, group and overall averages, a per-method comparison when the folder holds several
/// methods, and each task's score figure. A few lines of script only record, after load, how many images decoded
/// (<c>body data-images</c> / <c>data-images-ok</c>) and how many errors occurred (<c>data-errors</c>).</summary>
public static class HtmlReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static IReadOnlyList<TaskScores> LoadScores(string outDir)
    {
        string dir = Path.Combine(outDir, "results");
        var list = new List<TaskScores>();
        if (!Directory.Exists(dir)) return list;
        foreach (var file in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                using var doc = JsonDocument.Parse(InputFile.ReadAllBytes(file, InputFile.MaxTextBytes, "a result JSON"));
                var r = doc.RootElement;
                string task = r.GetProperty("task").GetString()!;
                string method = r.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "sls";
                static double[]? Doubles(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
                    ? v.EnumerateArray().Select(x => x.GetDouble()).ToArray() : null;
                static double? Double(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
                    ? v.GetDouble() : null;
                var scores = Doubles(r, "scores");
                if (scores is { Length: > 0 })
                {
                    var kept = Doubles(r, "kept_block_numbers")?.Select(x => (int)x).ToArray()
                        ?? (Double(r, "kept_blocks") is double k ? Enumerable.Range(1, (int)k).ToArray() : []);
                    string metric = r.TryGetProperty("metric", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString()! : "score";
                    // the alpha as the method's curve gave it (none for a method without one)
                    list.Add(new TaskScores(task, method, new ScoreFigureData(task, method, metric, Double(r, "alpha"), scores, kept, Double(r,
                        "threshold"))));
                    continue;
                }
                string index = Path.Combine(outDir, "tasks", Path.GetFileNameWithoutExtension(file), "index.sls.json");
                if (!File.Exists(index)) continue;
                var ix = PruningIndex.Load(index);
                if (ix.Section?.Curve(ix) is { Scores.Count: > 0 } curve)
                    list.Add(new TaskScores(task, method, new ScoreFigureData(task, ix.Method, ix.Metric, curve.Alpha, curve.Scores, ix.KeptBlocks,
                        curve.Threshold)));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException
                or SlsInputException or IOException)
            {
                // the table already says what is wrong with a result file; a task without a readable curve just has no figure
            }
        }
        return list;
    }

    /// <summary>The front of every task pruned to a budget: from its index, <c>tasks/NAME/index.sls.json</c> (its cost
    /// table and the method's curve).</summary>
    public static IReadOnlyList<(string Task, FrontFigureData Front)> LoadFronts(string outDir)
    {
        var list = new List<(string, FrontFigureData)>();
        string tasks = Path.Combine(outDir, "tasks");
        if (!Directory.Exists(Path.Combine(outDir, "results")) || !Directory.Exists(tasks)) return list;
        foreach (var file in Directory.GetFiles(Path.Combine(outDir, "results"), "*.json").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(file), index = Path.Combine(tasks, name, "index.sls.json");
            if (!File.Exists(index)) continue;
            try
            {
                if (Pruning.Budgets.FrontPlot.Data(PruningIndex.Load(index), name) is { } front) list.Add((name, front));
            }
            catch (SlsInputException)
            {
                // an unreadable index has no front; the table says what the result says
            }
        }
        return list;
    }

    /// <param name="expected">as <see cref="BatchReport.Load"/>: missing tasks get a row.</param>
    public static string Build(string outDir, Expected? expected = null)
    {
        var report = BatchReport.Load(outDir, expected);
        var scores = LoadScores(outDir);
        var methods = report.Rows.Select(r => r.Method).Distinct().ToList();
        var sb = new StringBuilder();
        string E(string s) => WebUtility.HtmlEncode(Printable.Escape(s));
        sb.AppendLine("<!DOCTYPE html>");
        sb.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.AppendLine(Inv, $"<title>sls report: {E(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir))))}</title>");
        sb.AppendLine("""
            <style>
            body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 24px; color: #222; max-width: 1150px; }
            h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccc; } h3 { font-size: 15px; }
            table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
            th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; } th { background: #f0f0f0; }
            td.t, th.t { text-align: left; } tr.avg td { font-weight: bold; background: #f7f7f7; } tr.failed td { color: #b00; }
            img { max-width: 100%; height: auto; border: 1px solid #eee; }
            .figs { display: flex; flex-wrap: wrap; gap: 12px; } .figs figure { margin: 0; }
            </style>
            </head>
            <body>
            <script>
            window.addEventListener('error', function () {
              document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1);
            }, true);
            window.addEventListener('load', function () {
              var ok = 0;
              for (var i = 0; i < document.images.length; i++) if (document.images[i].complete && document.images[i].naturalWidth > 0) ok++;
              document.body.dataset.images = String(document.images.length); document.body.dataset.imagesOk = String(ok);
              if (!document.body.dataset.errors) document.body.dataset.errors = '0';
            });
            </script>
            """);
        sb.AppendLine(Inv, $"<h1>Pruning report: {report.Rows.Count} task result{(report.Rows.Count == 1 ? "" : "s")}, method"
            + $"{(methods.Count == 1 ? "" : "s")} {E(string.Join(", ", methods))}</h1>");

        if (methods.Count > 1)
        {
            sb.AppendLine("<h2>Methods compared</h2>");
            var averages = report.Averages.Where(a => a.Task.StartsWith("Average", StringComparison.Ordinal)).ToList();
            Table(sb, averages, E, avgRows: false);
            var groups = report.Averages.Select(a => GroupOf(a)).Distinct().ToList();
            var values = methods.Select(m => (IReadOnlyList<double>)groups.Select(g => report.Averages.FirstOrDefault(a => a.Method == m
                && GroupOf(a) == g) is { } a ? a.Retrained ?? a.Pruned ?? double.NaN : double.NaN).ToList()).ToList();
            if (values.Any(v => v.Any(x => !double.IsNaN(x))))
                Image(sb, BarsFigure.Render(new BarsFigureData("top-1 after pruning (retrained where retrained), by group", "top-1 (%)", groups,
                    methods, values)), "accuracy by method and group");
        }

        sb.AppendLine("<h2>Tasks</h2>");
        Table(sb, report.Rows.Concat(report.Averages).ToList(), E, avgRows: true);

        var details = report.Details();
        if (details.Count > 0)
        {
            sb.AppendLine("<h2>Method details</h2>");
            sb.AppendLine("<table><thead><tr><th class=\"t\">task</th><th class=\"t\">method</th><th class=\"t\">details</th></tr></thead><tbody>");
            foreach (var (task, method, lines) in details)
                sb.AppendLine(Inv, $"<tr><td class=\"t\">{E(task)}</td><td class=\"t\">{E(method)}</td><td class=\"t\">"
                    + $"{string.Join("<br>", lines.Select(E))}</td></tr>");
            sb.AppendLine("</tbody></table>");
        }

        var fronts = LoadFronts(outDir);
        if (fronts.Count > 0)
        {
            sb.AppendLine("<h2>Budget fronts</h2>");
            sb.AppendLine("<div class=\"figs\">");
            foreach (var (task, front) in fronts)
            {
                sb.AppendLine(Inv, $"<figure id=\"front-{E(task)}\">");
                Image(sb, FrontFigure.Render(front), $"{task}: accuracy and score of every depth against its cost");
                sb.AppendLine("</figure>");
            }
            sb.AppendLine("</div>");
        }

        if (scores.Count > 0)
        {
            sb.AppendLine("<h2>Scores per layer</h2>");
            sb.AppendLine("<div class=\"figs\">");
            foreach (var t in scores)
            {
                sb.AppendLine(Inv, $"<figure id=\"scores-{E(t.Task)}-{E(t.Method)}\">");
                Image(sb, ScoreFigure.Render(t.Figure), $"{t.Task} ({t.Method}): score per layer");
                sb.AppendLine("</figure>");
            }
            sb.AppendLine("</div>");
        }
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    private static string GroupOf(ReportRow a)
    {
        string name = a.Task;
        int paren = name.IndexOf(" (", StringComparison.Ordinal);
        return paren >= 0 ? name[..paren] : name;
    }

    private static void Image(StringBuilder sb, Figure figure, string alt) =>
        sb.AppendLine(Inv, $"<img width=\"{figure.Width}\" height=\"{figure.Height}\" alt=\"{WebUtility.HtmlEncode(Printable.Escape(alt))}\" "
            + $"src=\"data:image/png;base64,{Convert.ToBase64String(figure.Png())}\">");

    private static void Table(StringBuilder sb, IReadOnlyList<ReportRow> rows, Func<string, string> e, bool avgRows)
    {
        string[] header = ["task", "method", "group", "status", "full", "pruned", "retrained", "blocks kept", "FLOPs kept", "speed-up", "bytes full",
            "bytes pruned", "method s"];
        sb.AppendLine("<table><thead><tr>" + string.Concat(header.Select((h, i) => $"<th{(i < 4 ? " class=\"t\"" : "")}>{h}</th>"))
            + "</tr></thead><tbody>");
        foreach (var r in rows)
        {
            bool avg = ReportRow.IsAverage(r);
            string cls = avg && avgRows ? " class=\"avg\"" : r.Status == "failed" ? " class=\"failed\"" : "";
            string P(double? v) => v is double d ? d.ToString("F1", Inv) : "-";
            string[] cells = [e(r.Task), e(r.Method), e(r.Group), e(r.Status), P(r.Full), P(r.Pruned), P(r.Retrained),
                r.Kept is double k ? $"{k.ToString(k % 1 == 0 ? "F0" : "F1", Inv)} / {r.Depth}" : "-", r.FlopsRatio is double f ? f.ToString("F2",
                    Inv) : "-",
                r.SpeedUp is double s ? s.ToString("F2", Inv) + "x" + (r.SpeedUpNoise is string why ? $" ({why})" : "") : "-",
                    r.BytesFull?.ToString(Inv) ?? "-", r.BytesPruned?.ToString(Inv) ?? "-",
                r.MethodSeconds is double ms ? ms.ToString("F1", Inv) : "-"];
            sb.AppendLine($"<tr{cls}>" + string.Concat(cells.Select((c, i) => $"<td{(i < 4 ? " class=\"t\"" : "")}>{c}</td>")) + "</tr>");
        }
        sb.AppendLine("</tbody></table>");
    }
}
