using SlsPrune.Core.Pruning.Budgets;

namespace SlsPrune.Core.Tests;

/// <summary><c>--budget</c>: the budget's syntax, every depth's cost (the numbers <c>sls eval</c> prints for the cut
/// model), the policies against a brute-force choice from the cost table, the refusal of a budget no depth fits, and the
/// index's <c>budget</c> written and read back.</summary>
public class BudgetTests
{
    private static ModelOptions ShippedModel => Fixtures.ShippedModel;

    private static ModelOptions FixtureModel => new(Fixtures.File("backbone.safetensors"), Fixtures.File("convpass.safetensors"), Heads: 3,
        Device: "cpu");

    [Theory]
    [InlineData("flops=0.6", "flops", 0.6)]
    [InlineData("params=1", "params", 1.0)]
    [InlineData("latency=5ms", "latency", 5.0)]
    [InlineData("latency=0.25", "latency", 0.25)]
    [InlineData("depth=4", "depth", 4.0)]
    [InlineData("FLOPS = 0.3", "flops", 0.3)]
    public void A_budget_reads_its_kind_and_limit(string text, string kind, double limit)
    {
        var b = Budget.Parse(text);
        Assert.Equal((kind, limit), (b.Kind.Name, b.Limit));
        Assert.StartsWith(kind + "=", b.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flops=abc", "not a number")]
    [InlineData("flops=1.5", "a fraction in (0, 1]")]
    [InlineData("flops=0", "a fraction in (0, 1]")]
    [InlineData("params=-0.2", "a fraction in (0, 1]")]
    [InlineData("flops=NaN", "not a number")]
    [InlineData("latency=-1ms", "a positive time")]
    [InlineData("latency=fast", "not a time")]
    [InlineData("depth=0", "a whole number of blocks")]
    [InlineData("depth=2.5", "a whole number of blocks")]
    [InlineData("size=3", "unknown key 'size' (known: flops, params, latency, depth)")]
    [InlineData("flops", "is not KEY=VALUE")]
    public void A_malformed_budget_is_refused_naming_the_option(string text, string problem)
    {
        var e = Assert.Throws<SlsInputException>(() => Budget.Parse(text));
        Assert.Equal("--budget", e.Subject);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    /// <summary>The cost table's row for k blocks is what the model built with blocks 1..k counts (eval's FLOPs and
    /// parameters), for the shipped model and the parity fixture.</summary>
    [Fact]
    public void Every_depths_cost_is_what_the_cut_model_counts()
    {
        foreach (var options in new[] { ShippedModel, FixtureModel })
        {
            CostTable costs;
            int depth;
            using (var full = ModelFactory.Build(options))
            {
                costs = CostTable.Analytic(full.Model);
                depth = full.FullDepth;
                Assert.Equal(full.Model.FlopsPerImage(), costs.Full.Flops);
            }
            Assert.Equal(depth, costs.Rows.Count);
            for (int k = 1; k <= depth; k++)
            {
                using var cut = ModelFactory.Build(options, plan: new ModelPlan(depth, Enumerable.Range(0, k).ToArray(), null));
                var row = costs.Rows[k - 1];
                Assert.Equal((k, cut.Model.FlopsPerImage(), ParameterCounts.Of(cut.Model).Total), (row.Blocks, row.Flops, row.Params));
            }
            Assert.True(costs.Rows.Zip(costs.Rows.Skip(1)).All(p => p.First.Flops < p.Second.Flops && p.First.Params < p.Second.Params));
        }
    }

    private static CostTable ShippedCosts()
    {
        using var full = ModelFactory.Build(ShippedModel);
        return CostTable.Analytic(full.Model);
    }

    /// <summary>Brute force: the depths whose FLOPs (or parameters) share is within the fraction.</summary>
    private static List<int> Fitting(CostTable costs, Func<DepthCost, long> of, double fraction) =>
        costs.Rows.Where(r => (double)of(r) / of(costs.Full) <= fraction).Select(r => r.Blocks).ToList();

    [Fact]
    public void Every_flops_and_params_budget_on_a_grid_keeps_the_deepest_fitting_cut_under_each_policy()
    {
        var costs = ShippedCosts();
        int depth = costs.Rows.Count;
        // the shipped model's scores (sls prune, structured-location) and an accuracy curve with a dip and a peak
        var scores = SlsSection.Of(PruningIndex.Load(Path.Combine(AppContext.BaseDirectory, "fixtures", "index", "fmnist-vit8-v2.sls.json"))).Scores!;
        double[] top1 = [0.21, 0.35, 0.52, 0.61, 0.60, 0.66, 0.66, 0.64];
        Assert.Equal(depth, top1.Length);
        int checkedBudgets = 0;
        foreach (var (kind, of) in new (string, Func<DepthCost, long>)[] { ("flops", r => r.Flops), ("params", r => r.Params) })
            for (int percent = 1; percent <= 100; percent++)
            {
                double f = percent / 100.0;
                var budget = Budget.Parse($"{kind}={f.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
                var fitting = Fitting(costs, of, f);
                if (fitting.Count == 0)
                {
                    var e = Assert.Throws<SlsInputException>(() => BudgetPolicy.Fitting(budget, costs));
                    Assert.Equal("--budget", e.Subject);
                    double smallest = (double)of(costs.Rows[0]) / of(costs.Full);
                    Assert.Contains($"the smallest cut, 1 block, costs "
                        + $"{smallest.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)} of the full model's {kind}", e.Problem,
                            StringComparison.Ordinal);
                    continue;
                }
                Assert.Equal(fitting.Max(), BudgetPolicy.Fitting(budget, costs));
                var allowed = BudgetPolicy.Allowed(budget, costs);
                foreach (double alpha in new[] { 0.1, 0.3, 0.5, 0.7, 0.9 })
                {
                    int rule = SlsPolicy.Decide(scores, alpha).KeptBlocks;
                    int expected = fitting.Where(k => k <= rule).DefaultIfEmpty(fitting.Min()).Max();
                    Assert.Equal(expected, BudgetPolicy.ByScore(rule, allowed));
                    Assert.Equal(Math.Min(rule, fitting.Max()), BudgetPolicy.ByScore(rule, allowed)); // leading cuts: the two definitions agree
                }
                double best = fitting.Max(k => top1[k - 1]);
                Assert.Equal(fitting.Where(k => top1[k - 1] == best).Min(), BudgetPolicy.ByAccuracy(top1, allowed));
                checkedBudgets++;
            }
        Assert.True(checkedBudgets > 150, $"{checkedBudgets} budgets fit");
    }

    [Fact]
    public void A_depth_budget_allows_that_many_blocks_and_a_latency_budget_each_depth_by_its_own_measurement()
    {
        var costs = ShippedCosts();
        Assert.Equal(3, BudgetPolicy.Fitting(Budget.Parse("depth=3"), costs));
        Assert.Equal(costs.Rows.Count, BudgetPolicy.Fitting(Budget.Parse("depth=99"), costs));
        // measured latencies, not monotone (noise): depth 3 is slower than depth 4
        var timed = new CostTable(costs.Rows.Select(r => r with { LatencyMs = r.Blocks == 3 ? 4.5 : r.Blocks, LatencySpreadMs = 0.2 }).ToArray(), 1);
        var allowed = BudgetPolicy.Allowed(Budget.Parse("latency=4ms"), timed);
        Assert.Equal(new[] { true, true, false, true, false, false, false, false }, allowed);
        Assert.Equal(2, BudgetPolicy.ByScore(3, allowed));
        Assert.Equal(4, BudgetPolicy.ByScore(8, allowed));
        var e = Assert.Throws<SlsInputException>(() => BudgetPolicy.Fitting(Budget.Parse("latency=0.5ms"), timed));
        Assert.Contains("costs 1 ms (batch 1 on this machine)", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Latency_noise_wider_than_the_gap_between_two_depths_is_said()
    {
        DepthCost Row(int k, double ms, double spread) => new(k, k, k, ms, spread);
        Assert.Null(CostTable.NoiseWarning([Row(1, 1.0, 0.1), Row(2, 2.0, 0.2), Row(3, 3.0, 0.3)]));
        var w = CostTable.NoiseWarning([Row(1, 1.0, 0.1), Row(2, 1.1, 0.3), Row(3, 3.0, 0.2)]);
        Assert.NotNull(w);
        Assert.Contains("spread up to 0.3 ms", w, StringComparison.Ordinal);
        Assert.Contains("smallest gap between two depths (0.1 ms)", w, StringComparison.Ordinal);
        Assert.Null(CostTable.NoiseWarning([new DepthCost(1, 1, 1), new DepthCost(2, 2, 2)])); // not measured
    }

    [Fact]
    public void The_index_records_the_budget_and_reads_it_back_and_a_crafted_one_is_refused()
    {
        var index = PruningIndex.Load(Path.Combine(AppContext.BaseDirectory, "fixtures", "index", "fmnist-vit8-v2.sls.json"));
        var costs = ShippedCosts();
        var budget = Budget.Parse("flops=0.5");
        int fits = BudgetPolicy.Fitting(budget, costs);
        var record = BudgetPolicy.Record(budget, costs, "alpha", Math.Min(5, fits), alphaChoice: 5);
        var withBudget = index with { KeptBlocks = Enumerable.Range(1, record.Chosen).ToArray(), Budget = record };
        string dir = Directory.CreateTempSubdirectory("sls-budget-").FullName;
        try
        {
            string path = Path.Combine(dir, "b.sls.json");
            withBudget.Save(path);
            var back = PruningIndex.Load(path).Budget!;
            Assert.Equal(("flops=0.5", "flops", 0.5, "alpha", record.Chosen, fits, 5), (back.Spec, back.Kind, back.Limit, back.Policy, back.Chosen,
                back.Fits, back.AlphaChoice));
            Assert.Equal(costs.Rows, back.Costs);
            Assert.Contains("\"budget\": {", File.ReadAllText(path), StringComparison.Ordinal);

            void Refused(PruningIndex crafted, string problem)
            {
                crafted.Save(path);
                var e = Assert.Throws<SlsInputException>(() => PruningIndex.Load(path));
                Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
            }
            Refused(withBudget with { Budget = record with { Costs = costs.Rows.Take(3).ToArray() } }, "'budget.costs' must list blocks 1..8");
            Refused(withBudget with { Budget = record with { Chosen = fits + 1 } }, "field 'budget.chosen'");
            Refused(withBudget with { KeptBlocks = [1, 2, 3, 4, 5, 6, 7, 8] }, "but kept_blocks keeps 8 blocks");
            Refused(withBudget with { Budget = record with { Limit = -1 } }, "'budget.limit' is -1");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void The_front_table_and_figure_show_every_depth_the_choice_and_the_alpha_rules_choice()
    {
        var index = PruningIndex.Load(Path.Combine(AppContext.BaseDirectory, "fixtures", "index", "fmnist-vit8-v2.sls.json"));
        var costs = ShippedCosts();
        var timed = new CostTable(costs.Rows.Select(r => r with { LatencyMs = 0.5 * r.Blocks + 1, LatencySpreadMs = 0.05 }).ToArray(), 4);
        var budget = Budget.Parse("latency=3ms");
        var record = BudgetPolicy.Record(budget, timed, "alpha", BudgetPolicy.ByScore(5, BudgetPolicy.Allowed(budget, timed)), alphaChoice: 5);
        Assert.Equal(4, record.Chosen);
        var withBudget = index with { KeptBlocks = [1, 2, 3, 4], Budget = record };
        var table = BudgetFront.Table(withBudget)!;
        Assert.Equal(new[] { "blocks", "FLOPs", "params", "latency ms (batch 4)", "score", "within budget", "choice" }, table.Columns);
        Assert.Equal(8, table.Rows.Count);
        Assert.Equal(new[] { "yes", "yes", "yes", "yes", "no", "no", "no", "no" }, table.Rows.Select(r => r[5]));
        Assert.Equal("chosen (alpha)", table.Rows[3][6]);
        Assert.Equal("alpha rule", table.Rows[4][6]);
        Assert.Equal("1", table.Rows[7][1]);
        Assert.Equal("3 ± 0.05", table.Rows[3][3]);
        Assert.Equal(SlsSection.Of(index).Scores![2].ToString("0.####", System.Globalization.CultureInfo.InvariantCulture), table.Rows[2][4]);
        Assert.Null(BudgetFront.Table(index));

        var data = FrontPlot.Data(withBudget)!;
        Assert.Equal((4, 5, 3.0), (data.Chosen, data.AlphaChoice!.Value, data.LatencyLimit!.Value));
        Assert.Equal(1.0, data.FlopsShare[^1]);
        Assert.Equal((double)costs.Rows[0].Flops / costs.Full.Flops, data.FlopsShare[0]);
        var figure = Core.Plotting.FrontFigure.Render(data);
        Assert.Equal((2 * Core.Plotting.FrontFigure.PanelWidth, Core.Plotting.FrontFigure.Height + Core.Plotting.FrontFigure.TitleBand),
            (figure.Width, figure.Height));
        Assert.True(figure.Png().Length > 10_000);
        // without latency: one panel
        var flopsOnly = FrontPlot.Data(index with
        {
            KeptBlocks = [1, 2, 3],
            Budget = BudgetPolicy.Record(Budget.Parse("depth=3"), costs, "alpha", 3,
            5)
        })!;
        Assert.Null(flopsOnly.LatencyMs);
        Assert.Equal(Core.Plotting.FrontFigure.PanelWidth, Core.Plotting.FrontFigure.Render(flopsOnly).Width);
    }
}
