using SlsPrune.Core.Evaluation;
using SlsPrune.Core.Fem;
using SlsPrune.Core.Pruning;
using Xunit.Abstractions;

namespace SlsPrune.Core.Tests;

[Collection(TsneFitGroup.Name)]
public class SlsPolicyTests(ITestOutputHelper output, TsneFitFixture fits)
{
    private static readonly double[] Alphas = [0.3, 0.5, 0.9];

    public static TheoryData<string> HardCurves() => new(SlsFixtures.Meta.GetProperty("hard").EnumerateObject().Select(p => p.Name));

    [Theory]
    [MemberData(nameof(HardCurves))]
    public void Hard_curves_decide_as_the_reference_loop(string name)
    {
        var c = SlsFixtures.Meta.GetProperty("hard").GetProperty(name);
        var sc = c.GetProperty("sc").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        foreach (var a in Alphas)
        {
            int expected = c.GetProperty("decisions").GetProperty(a.ToString(System.Globalization.CultureInfo.InvariantCulture)).GetInt32();
            var d = SlsPolicy.Decide(sc, a);
            Assert.Equal(expected, d.KeptBlocks);
            Assert.Equal(sc.Length, d.Depth);
        }
    }

    [Fact]
    public void Guard_and_edge_rules()
    {
        var guarded = SlsPolicy.Decide([0.2, 0.3, 0.0], 0.3);
        Assert.True(guarded.Guarded);
        Assert.Equal(3, guarded.KeptBlocks);
        Assert.Contains("separates nothing", guarded.Reason, StringComparison.Ordinal);
        Assert.Equal(1, SlsPolicy.Decide([0.5, 0.6, 0.7], 0.3).KeptBlocks);
        var d = SlsPolicy.Decide([0.1, 0.3, 0.5, 1.0], 0.3);
        Assert.Equal(0.3, d.Threshold, 12);
        Assert.Equal(1, d.StopLayer); // layer 2 equals T and is kept; layer 1 is below
        Assert.Equal(2, d.KeptBlocks);
        Assert.Equal(4, SlsPolicy.Decide([0.1, 0.3, 0.5, 1.0], 1.5).KeptBlocks);
        Assert.Throws<ArgumentOutOfRangeException>(() => SlsPolicy.Decide([0.5], 0));
    }

    [Fact]
    public void Davies_bouldin_mirrors_the_rule_with_lower_is_better()
    {
        // DB: T = DB_N / alpha = 0.5 / 0.3 = 1.667; layer 2 (2.0) is the first from the top above T.
        var d = SlsPolicy.Decide([3.0, 2.0, 1.0, 0.6, 0.5], 0.3, ClusterMetrics.Get("davies-bouldin"));
        Assert.Equal(0.5 / 0.3, d.Threshold, 12);
        Assert.Equal(2, d.StopLayer);
        Assert.Equal(3, d.KeptBlocks);
        Assert.True(SlsPolicy.Decide([3.0, 0.0], 0.3, ClusterMetrics.Get("davies-bouldin")).Guarded);
    }

    [Fact]
    public void Sklearn_sc_curves_decide_as_the_reference_loop()
    {
        foreach (var set in SlsFixtures.Sets)
        {
            var sc = Enumerable.Range(0, SlsFixtures.Layers(set)).Select(l => SlsFixtures.Layer(set, l).GetProperty("sc_index").GetDouble())
                .ToArray();
            foreach (var a in Alphas)
                Assert.Equal(Reference(set, a), SlsPolicy.Decide(sc, a).KeptBlocks);
        }
    }

    private static int Reference(string set, double a) => SlsFixtures.Meta.GetProperty("sets").GetProperty(set).GetProperty("decisions")
            .GetProperty(a.ToString(System.Globalization.CultureInfo.InvariantCulture)).GetInt32();

    /// <summary>The whole FEM (our t-SNE, our silhouette) plus policy against the reference decision, on every
    /// feature set and alpha where that decision is stable: sklearn's own variants agree on it, and no layer the
    /// walk inspects is within 0.03 + sklearn's spread of the threshold. Elsewhere the decision hinges on
    /// differences below what sklearn reproduces itself; those cases are logged and covered by the SC tolerance.</summary>
    [Fact]
    public void Full_fem_reaches_the_reference_decision_wherever_it_is_stable()
    {
        int stable = 0;
        foreach (var set in SlsFixtures.Sets)
        {
            var ours = fits[set].Sc;
            int n = ours.Length;
            var refSc = Enumerable.Range(0, n).Select(l => SlsFixtures.Layer(set, l).GetProperty("sc_index").GetDouble()).ToArray();
            var spread = Enumerable.Range(0, n).Select(l => SlsFixtures.Layer(set, l).GetProperty("sklearn_spread_sc").GetDouble()).ToArray();
            foreach (var a in Alphas)
            {
                int expected = Reference(set, a);
                var variants = SlsFixtures.Meta.GetProperty("sets").GetProperty(set).GetProperty("variant_decisions")
                    .GetProperty(a.ToString(System.Globalization.CultureInfo.InvariantCulture)).EnumerateArray().Select(x => x.GetInt32());
                double t = a * refSc[^1];
                bool guarded = refSc[^1] <= 0;
                int lowest = Math.Max(1, expected - 1);
                bool clear = guarded
                    ? refSc[^1] < -(0.03 + spread[^1])
                    : Enumerable.Range(lowest, n - lowest + 1).All(i => Math.Abs(refSc[i - 1] - t) > 0.03 + spread[i - 1] + a * spread[^1]);
                int mine = SlsPolicy.Decide(ours, a).KeptBlocks;
                output.WriteLine($"{set} alpha {a}: reference keeps {expected}, SlsPrune keeps {mine}"
                    + $"{(clear && variants.All(v => v == expected) ? "" : " (unstable: not asserted)")}");
                if (!clear || variants.Any(v => v != expected)) continue;
                Assert.Equal(expected, mine);
                stable++;
            }
        }
        Assert.True(stable >= 8, $"only {stable} stable cases");
    }

    [Theory]
    [InlineData("silhouette")]
    [InlineData("davies-bouldin")]
    public void Scoring_from_the_top_until_decided_reads_exactly_the_layers_the_rule_reads(string name)
    {
        var metric = ClusterMetrics.Get(name);
        var rng = new Random(5);
        int guarded = 0, stopped = 0, toTheBottom = 0;
        for (int trial = 0; trial < 3000; trial++)
        {
            int n = rng.Next(1, 13);
            var full = Enumerable.Range(0, n).Select(_ => Math.Round(rng.NextDouble() * 1.4 - 0.3, rng.Next(1, 4))).ToArray();
            if (trial % 7 == 0) full[^1] = -full[^1];          // top <= 0 now and then
            double alpha = new[] { 0.1, 0.3, 0.5, 0.9, 1.0 }[rng.Next(5)];
            // what --scoring needed does: the top layer, then down while the rule needs the layer below
            var partial = Enumerable.Repeat(double.NaN, n).ToArray();
            int lowest = n;
            partial[n - 1] = full[n - 1];
            while (SlsPolicy.NeedsLayerBelow(partial, lowest, alpha, metric))
            {
                lowest--;
                partial[lowest - 1] = full[lowest - 1];
            }
            var all = SlsPolicy.Decide(full, alpha, metric);
            var needed = SlsPolicy.Decide(partial, alpha, metric);
            Assert.Equal(all.KeptBlocks, needed.KeptBlocks);
            Assert.Equal(all.Reason, needed.Reason);
            Assert.Equal(all.Guarded, needed.Guarded);
            // and no more layers than the rule reads: down to its stop layer, the top alone when guarded, else all
            int reads = all.Guarded ? n : all.StopLayer ?? 1;
            Assert.Equal(reads, lowest);
            if (all.Guarded) guarded++; else if (all.StopLayer is not null) stopped++; else toTheBottom++;
        }
        Assert.True(guarded > 50 && stopped > 50 && toTheBottom > 50, $"cases: guarded {guarded}, stopped {stopped}, to layer 1 {toTheBottom}");
    }

    [Fact]
    public void Needs_layer_below_rejects_a_layer_outside_the_stack() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SlsPolicy.NeedsLayerBelow([0.1, 0.5], 3, 0.3));
}
