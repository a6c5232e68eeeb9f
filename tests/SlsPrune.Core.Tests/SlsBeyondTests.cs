using System.Text.Json.Nodes;

namespace SlsPrune.Core.Tests;

/// <summary>SLS beyond the paper: every depth's accuracy from the features' pass, the alpha sweep, several alphas and
/// the accuracy policy from one scoring run, and t-SNE seeds with a majority decision.</summary>
public class SlsBeyondTests
{
    private static readonly ModelOptions Model = new(Fixtures.File("backbone.safetensors"), Fixtures.File("convpass.safetensors"), Heads: 3,
        Device: "cpu", BatchSize: 16);

    /// <summary>The pattern task with a val200 list inside the calibration split (test is outside it).</summary>
    private static string Task()
    {
        string task = TrainingTests.PatternTask();
        File.WriteAllLines(Path.Combine(task, "val200.txt"), File.ReadAllLines(Path.Combine(task, "train800val200.txt")).Where((_, i) => i % 4 == 0));
        return task;
    }

    private static PruneResult Prune(string task, string output, JsonObject settings) =>
        PruneRunner.Run(PruneOptions.For(Model, task, PruneMethods.Get("sls"), output: output) with
        {
            MethodOptions = PruneMethods.Get("sls").ReadOptions(settings, "test"),
        });

    [Theory]
    [InlineData("val200")]   // inside the calibration split: the same pass
    [InlineData("test")]     // outside it: one more pass over those images
    public void Every_depths_accuracy_equals_eval_of_the_index_of_that_depth(string split)
    {
        string task = Task(), dir = Directory.CreateTempSubdirectory("sls-depth-").FullName;
        var r = Prune(task, Path.Combine(dir, "i.sls.json"), new JsonObject { ["accuracy_split"] = split, ["perplexity"] = 5.0 });
        var acc = SlsSection.Of(r.Index).DepthAccuracy!;
        Assert.Equal((split, 3), (acc.Split, acc.Top1.Count));
        for (int k = 1; k <= 3; k++)
        {
            string path = Path.Combine(dir, $"k{k}.sls.json");
            (r.Index with { KeptBlocks = Enumerable.Range(1, k).ToArray() }).Save(path);
            var e = EvalRunner.Run(new EvalOptions(Model, task, path, Split: split));
            Assert.Equal(e.Images, acc.Images);
            Assert.Equal(e.Top1, acc.Top1[k - 1], 12);
        }
        Assert.NotEqual(acc.Top1[0], acc.Top1[2]);   // depths differ on this task, so the test can fail
    }

    [Fact]
    public void The_sweep_gives_the_decision_of_the_rule_at_every_alpha()
    {
        var rng = new Random(5);
        foreach (var metric in new[] { ClusterMetrics.Get("silhouette"), ClusterMetrics.Get("davies-bouldin") })
            for (int trial = 0; trial < 50; trial++)
            {
                var scores = Enumerable.Range(0, 8).Select(_ => !metric.HigherIsBetter ? 0.2 + 3 * rng.NextDouble() : rng.NextDouble() * 0.8 - 0.1)
                    .ToArray();
                var sweep = SlsPolicy.Sweep(scores, metric);
                Assert.Equal(0, sweep[0].From);
                Assert.Equal(1, sweep[^1].To);
                Assert.All(sweep.Zip(sweep.Skip(1)), p => { Assert.Equal(p.First.To, p.Second.From); Assert.NotEqual(p.First.Kept, p.Second.Kept); });
                for (double a = 0.005; a <= 1; a += 0.005)
                {
                    var step = sweep.Single(s => a > s.From && a <= s.To);
                    Assert.Equal(SlsPolicy.Decide(scores, a, metric).KeptBlocks, step.Kept);
                }
            }
    }

    [Fact]
    public void Several_alphas_and_the_accuracy_policy_decide_from_one_scoring_run()
    {
        string task = Task(), dir = Directory.CreateTempSubdirectory("sls-alphas-").FullName;
        string output = Path.Combine(dir, "t.sls.json");
        var r = Prune(task, output, new JsonObject { ["alpha"] = 0.2, ["alphas"] = new JsonArray(0.2, 0.6, 0.95), ["perplexity"] = 5.0 });
        Assert.Equal([Path.Combine(dir, "t.alpha0.6.sls.json"), Path.Combine(dir, "t.alpha0.95.sls.json")], r.MoreIndexPaths!);
        foreach (var (alpha, path) in new[] { (0.2, output), (0.6, r.MoreIndexPaths![0]), (0.95, r.MoreIndexPaths[1]) })
        {
            var ix = PruningIndex.Load(path);
            Assert.Equal(alpha, SlsSection.Of(ix).Alpha);
            Assert.Equal(SlsSection.Of(r.Index).Scores, SlsSection.Of(ix).Scores);
            Assert.Equal(SlsPolicy.Decide(SlsSection.Of(ix).Scores!, alpha).KeptBlocks, ix.KeptBlocks.Count);
            Assert.Equal(ix.KeptBlocks.Count, SlsSection.Of(ix).AlphaSweep!.Single(s => alpha > s.From && alpha <= s.To).Kept);
        }

        var byAccuracy = Prune(task, Path.Combine(dir, "a.sls.json"), new JsonObject
        {
            ["policy"] = "accuracy", ["max_drop"] = 5.0, ["perplexity"] = 5.0
        });
        var top1 = SlsSection.Of(byAccuracy.Index).DepthAccuracy!.Top1;
        int expected = Enumerable.Range(1, 3).First(k => top1[k - 1] >= top1[2] - 0.05 - 1e-12);
        Assert.Equal(("accuracy", 5.0, expected), (SlsSection.Of(byAccuracy.Index).Policy, SlsSection.Of(byAccuracy.Index).MaxDrop,
            byAccuracy.Index.KeptBlocks.Count));
        Assert.Equal(2, SlsPolicy.DecideByAccuracy([0.5, 0.7, 0.71], 1.0, "val").KeptBlocks);   // 0.70 is within 1 point of 0.71, 0.50 is not
        Assert.Equal(3, SlsPolicy.DecideByAccuracy([0.5, 0.7, 0.71], 0.5, "val").KeptBlocks);
    }

    [Fact]
    public void Several_tsne_seeds_give_mean_std_and_the_majority_decision()
    {
        string task = Task(), dir = Directory.CreateTempSubdirectory("sls-seeds-").FullName;
        var three = Prune(task, Path.Combine(dir, "s.sls.json"), new JsonObject
        {
            ["tsne_seeds"] = 3, ["perplexity"] = 5.0, ["accuracy_split"] = "none"
        }).Index;
        var single = Enumerable.Range(0, 3).Select(s => PruneRunner.Run(PruneOptions.For(Model, task, PruneMethods.Get("sls"),
            output: Path.Combine(dir, $"{s}.sls.json")) with
        {
            Seed = s,
            MethodOptions = PruneMethods.Get("sls").ReadOptions(new JsonObject { ["perplexity"] = 5.0, ["accuracy_split"] = "none" }, "test"),
        }).Index).ToList();
        for (int l = 0; l < 3; l++)
        {
            var values = single.Select(i => SlsSection.Of(i).Scores![l]).ToArray();
            double mean = values.Average();
            Assert.Equal(mean, SlsSection.Of(three).Scores![l], 12);
            Assert.Equal(Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / 2), SlsSection.Of(three).ScoreStd![l], 12);
        }
        Assert.Equal(single.Select(i => i.KeptBlocks.Count), SlsSection.Of(three).SeedKept!);
        var votes = SlsSection.Of(three).SeedKept!.GroupBy(k => k).ToList();
        Assert.Equal(votes.Where(g => g.Count() == votes.Max(v => v.Count())).Max(g => g.Key), three.KeptBlocks.Count);
        Assert.Null(SlsSection.Of(three).DepthAccuracy);
    }
}
