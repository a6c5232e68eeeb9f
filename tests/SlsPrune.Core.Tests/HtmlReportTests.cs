using System.Diagnostics;
using System.Text.RegularExpressions;
using SlsPrune.Core.Batch;
using SlsPrune.Core.IO;
using SlsPrune.Core.Plotting;

namespace SlsPrune.Core.Tests;

/// <summary><c>sls report --format html</c> on a fixture results folder: one self-contained page (no network), the
/// tables, a comparison of methods and a score figure per task; and, where Chromium is installed, the page opened
/// headless: every image decodes and no error occurs.</summary>
public partial class HtmlReportTests
{
    internal static string Results(bool twoMethods = true)
    {
        string dir = Directory.CreateTempSubdirectory("sls-html-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "results"));
        void Write(string file, string task, string group, string method, double full, double pruned, int kept, string? scores)
        {
            string eval(double top1, int blocks) =>
                $$"""{ "top1": {{top1}}, "blocks": {{blocks}}, "flops_per_image": {{blocks * 1000}}, "storage": { "per_task_bytes": 4096 } }""";
            File.WriteAllText(Path.Combine(dir, "results", file + ".json"), $$"""
                { "task": "{{task}}", "group": "{{group}}", "status": "ok", "seconds": 3.5, "method": "{{method}}", "method_seconds": 1.5,
                  "full": {{eval(full, 12)}}, "pruned": {{eval(pruned, kept)}}, "kept_blocks": {{kept}}, "depth": 12
                  {{(scores is null ? "" : $", \"scores\": [{scores}], \"threshold\": 0.3, \"metric\": \"silhouette\", \"alpha\": 0.3, "
                      + $"\"kept_block_numbers\": [{string.Join(",", Enumerable.Range(1, kept))}]")}} }
                """);
        }
        const string curve = "0.05, 0.12, 0.2, 0.45, 0.6, 0.72, 0.8, 0.85, 0.9, 0.95, 1.0, 1.0";
        Write("caltech101", "caltech101", "natural", "sls", 0.9, 0.88, 9, curve);
        Write("dsprites_loc", "dsprites_loc", "structured", "sls", 0.8, 0.7, 7, curve);
        File.WriteAllText(Path.Combine(dir, "results", "broken.json"),
            """{ "task": "broken", "group": "structured", "status": "failed", "error": "boom", "seconds": 0.1 }""");
        if (twoMethods)
        {
            Write("caltech101.bi", "caltech101", "natural", "bi", 0.9, 0.85, 9, null);
            Write("dsprites_loc.bi", "dsprites_loc", "structured", "bi", 0.8, 0.6, 7, null);
        }
        return dir;
    }

    [GeneratedRegex("<img [^>]*src=\"([^\"]*)\"")]
    private static partial Regex ImgSrc();

    [Fact]
    public void Html_report_is_one_self_contained_page_with_tables_comparison_and_figures()
    {
        string dir = Results();
        try
        {
            string html = HtmlReport.Build(dir);
            Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
            var srcs = ImgSrc().Matches(html).Select(m => m.Groups[1].Value).ToList();
            // the comparison bars and one score figure per sls task (the bi results carry no scores and no index)
            Assert.Equal(3, srcs.Count);
            Assert.All(srcs, s => Assert.StartsWith("data:image/png;base64,", s, StringComparison.Ordinal));
            foreach (var s in srcs)
            {
                var png = Convert.FromBase64String(s["data:image/png;base64,".Length..]);
                var img = StbImageSharp.ImageResult.FromMemory(png, StbImageSharp.ColorComponents.RedGreenBlue);
                Assert.True(img.Width >= 600 && img.Height >= 400);
            }
            Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
            Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
            Assert.DoesNotContain("src=\"http", html, StringComparison.Ordinal);
            Assert.Contains("<h2>Methods compared</h2>", html, StringComparison.Ordinal);
            Assert.Contains("<td class=\"t\">Average (bi)</td>", html, StringComparison.Ordinal);
            Assert.Contains("<td class=\"t\">Natural (sls)</td>", html, StringComparison.Ordinal);
            Assert.Contains("<tr class=\"failed\"><td class=\"t\">broken</td>", html, StringComparison.Ordinal);
            Assert.Contains("id=\"scores-caltech101-sls\"", html, StringComparison.Ordinal);
            Assert.Contains("<td>88.0</td>", html, StringComparison.Ordinal);
            // one method: no comparison section
            string one = Results(twoMethods: false);
            try { Assert.DoesNotContain("Methods compared", HtmlReport.Build(one), StringComparison.Ordinal); }
            finally { Directory.Delete(one, true); }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_result_without_scores_takes_them_from_its_task_index()
    {
        string dir = Results(twoMethods: false);
        try
        {
            File.WriteAllText(Path.Combine(dir, "results", "caltech101.json"), File.ReadAllText(Path.Combine(dir, "results", "caltech101.json"))
                .Replace("\"scores\"", "\"old_scores\"", StringComparison.Ordinal));
            Assert.DoesNotContain(HtmlReport.LoadScores(dir), t => t.Task == "caltech101");
            var index = new PruningIndex
            {
                Metric = "silhouette", Depth = 4, KeptBlocks = [1, 2, 3], Decision = "fixture",
                Section = new SlsSection { Alpha = 0.5, Threshold = 0.5, Scores = [0.1, 0.2, 0.6, 1.0] },
                Backbone = new FileFingerprint("b.safetensors", new string('0', 64)), Petl = new FileFingerprint("p.safetensors", new string('0',
                    64)),
                Calibration = new CalibrationInfo("caltech101", "train800val200", 10, 2, 0),
            };
            Directory.CreateDirectory(Path.Combine(dir, "tasks", "caltech101"));
            index.Save(Path.Combine(dir, "tasks", "caltech101", "index.sls.json"));
            var t = Assert.Single(HtmlReport.LoadScores(dir), t => t.Task == "caltech101");
            Assert.Equal([0.1, 0.2, 0.6, 1.0], t.Figure.Scores);
            Assert.Equal(0.5, t.Figure.Threshold);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static string? Chromium() => new[] { "chromium", "chromium-browser", "google-chrome" }
            .SelectMany(n => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, n)))
            .FirstOrDefault(File.Exists);

    private static (int Code, string Out, string Err) Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(90_000)) { p.Kill(true); throw new TimeoutException("chromium did not finish in 90 s"); }
        return (p.ExitCode, output, err.Result);
    }

    [SkippableFact]
    public void Html_report_opens_in_headless_chromium_with_every_image_decoded()
    {
        string? chromium = Chromium();
        if (chromium is null) Console.WriteLine("skipped: no chromium on PATH (apt-get install -y chromium; .ci/run installs it)");
        Skip.If(chromium is null, "no chromium on PATH (apt-get install -y chromium; .ci/run installs it)");
        string dir = Results();
        string profile = Directory.CreateTempSubdirectory("sls-chromium-").FullName;
        try
        {
            string page = Path.Combine(dir, "report.html");
            File.WriteAllText(page, HtmlReport.Build(dir));
            string[] common = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions", $"--user-data-dir={profile}",
                "--virtual-time-budget=5000"];
            var (code, dom, err) = Run(chromium!, [.. common, "--dump-dom", new Uri(page).AbsoluteUri]);
            Assert.True(code == 0, err);
            var body = Regex.Match(dom, "<body([^>]*)>").Groups[1].Value;
            string Attr(string name) => Regex.Match(body, $"data-{name}=\"([^\"]*)\"").Groups[1].Value;
            Assert.Equal("3", Attr("images"));
            Assert.Equal("3", Attr("images-ok"));
            Assert.Equal("0", Attr("errors"));

            string shot = Path.Combine(dir, "shot.png");
            var (scode, _, serr) = Run(chromium!, [.. common, $"--screenshot={shot}", "--window-size=1200,2000", new Uri(page).AbsoluteUri]);
            Assert.True(scode == 0 && File.Exists(shot), serr);
            var img = StbImageSharp.ImageResult.FromMemory(File.ReadAllBytes(shot), StbImageSharp.ColorComponents.RedGreenBlue);
            Assert.Equal((1200, 2000), (img.Width, img.Height));
            // the page drew the figures: the score line's blue is on screen
            int blue = 0;
            for (int i = 0; i < img.Data.Length; i += 3) if (Math.Abs(img.Data[i] - 31) < 12 && Math.Abs(img.Data[i + 1] - 119) < 12
                && Math.Abs(img.Data[i + 2] - 180) < 12) blue++;
            Assert.True(blue > 500, $"{blue} score-line pixels in the screenshot");
        }
        finally
        {
            Directory.Delete(dir, true);
            try { Directory.Delete(profile, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

public class ReportPluralTests
{
    [Fact]
    public void An_average_over_one_task_says_1_task_and_is_still_an_average()
    {
        string dir = Directory.CreateTempSubdirectory("sls-report-plural-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "results"));
        File.WriteAllText(Path.Combine(dir, "results", "caltech101.json"), """
            { "task": "caltech101", "group": "natural", "status": "ok", "seconds": 3.5, "method": "sls",
              "full": { "top1": 0.9, "blocks": 12, "flops_per_image": 12000, "storage": { "per_task_bytes": 4096 } },
              "pruned": { "top1": 0.88, "blocks": 9, "flops_per_image": 9000, "storage": { "per_task_bytes": 4096 } }, "kept_blocks": 9, "depth": 12 }
            """);
        var report = BatchReport.Load(dir);
        var averages = report.Averages;
        Assert.NotEmpty(averages);
        Assert.All(averages, a => Assert.Equal("1 task", a.Status));
        Assert.All(averages, a => Assert.True(ReportRow.IsAverage(a)));
        Assert.False(ReportRow.IsAverage(Assert.Single(report.Rows)));
        // the HTML page marks the one-task averages as averages, as it does "2 tasks"
        string html = HtmlReport.Build(dir);
        Assert.DoesNotContain("1 tasks", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"t\">1 task</td>", html, StringComparison.Ordinal);
    }
}

public class ReportStorageNoteTests
{
    [Fact]
    public void A_pruned_task_that_stores_more_bytes_than_the_full_one_is_explained()
    {
        string dir = Directory.CreateTempSubdirectory("sls-report-bytes-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "results"));
        string Result(string task, long pruned) => $$"""
            { "task": "{{task}}", "group": "natural", "status": "ok", "seconds": 3.5, "method": "sls",
              "full": { "top1": 0.9, "blocks": 12, "flops_per_image": 12000, "storage": { "per_task_bytes": 4096 } },
              "pruned": { "top1": 0.88, "blocks": 9, "flops_per_image": 9000, "storage": { "per_task_bytes": {{pruned}} } },
              "kept_blocks": 9, "depth": 12 }
            """;
        File.WriteAllText(Path.Combine(dir, "results", "a.json"), Result("a", 4096));
        Assert.Null(BatchReport.Load(dir).BiggerNote());
        Assert.DoesNotContain("Bytes pruned is larger", BatchReport.Load(dir).ToMarkdown(), StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(dir, "results", "b.json"), Result("b", 6551));
        var md = BatchReport.Load(dir).ToMarkdown();
        Assert.Contains("Bytes pruned is larger than bytes full for b: a pruned task stores the same PETL file", md, StringComparison.Ordinal);
    }
}
