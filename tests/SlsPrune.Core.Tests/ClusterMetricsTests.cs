using SlsPrune.Core.Evaluation;

namespace SlsPrune.Core.Tests;

public class ClusterMetricsTests
{
    public static TheoryData<string, int> SetLayers()
    {
        var d = new TheoryData<string, int>();
        foreach (var s in SlsFixtures.Sets)
            for (int l = 0; l < 8; l++) d.Add(s, l);
        return d;
    }

    [Theory]
    [MemberData(nameof(SetLayers))]
    public void Metrics_on_raw_features_equal_sklearn(string set, int layer)
    {
        var x = SlsFixtures.Tensor($"{set}.feats")[layer];
        var labels = SlsFixtures.Labels(set);
        var e = SlsFixtures.Layer(set, layer);
        Assert.Equal(e.GetProperty("silhouette").GetDouble(), ClusterMetrics.Silhouette(x, labels), 1e-6);
        Assert.Equal(e.GetProperty("calinski_harabasz").GetDouble(), ClusterMetrics.CalinskiHarabasz(x, labels), 1e-6 * Math.Max(1,
            e.GetProperty("calinski_harabasz").GetDouble()));
        Assert.Equal(e.GetProperty("davies_bouldin").GetDouble(), ClusterMetrics.DaviesBouldin(x, labels), 1e-6);
    }

    [Theory]
    [MemberData(nameof(SetLayers))]
    public void Metrics_on_sklearn_tsne_embeddings_equal_sklearn(string set, int layer)
    {
        var y = SlsFixtures.Tensor($"{set}.tsne.{layer}");
        var labels = SlsFixtures.Labels(set);
        var e = SlsFixtures.Layer(set, layer);
        Assert.Equal(e.GetProperty("tsne_silhouette").GetDouble(), ClusterMetrics.Silhouette(y, labels), 1e-6);
        // the reference's own value (sklearn on float32) differs only by float32 rounding
        Assert.Equal(e.GetProperty("sc_index").GetDouble(), ClusterMetrics.Silhouette(y, labels), 1e-5);
        Assert.Equal(e.GetProperty("tsne_ch").GetDouble(), ClusterMetrics.CalinskiHarabasz(y, labels), 1e-6 * Math.Max(1, e.GetProperty("tsne_ch")
            .GetDouble()));
        Assert.Equal(e.GetProperty("tsne_db").GetDouble(), ClusterMetrics.DaviesBouldin(y, labels), 1e-6);
    }

    [Fact]
    public void One_class_or_one_sample_per_class_is_refused_as_sklearn_does()
    {
        var x = TorchSharp.torch.randn(5, 2);
        Assert.Throws<ArgumentException>(() => ClusterMetrics.Silhouette(x, [1, 1, 1, 1, 1]));
        Assert.Throws<ArgumentException>(() => ClusterMetrics.Silhouette(x, [0, 1, 2, 3, 4]));
    }

    [Fact]
    public void Arbitrary_label_values_are_encoded()
    {
        var x = SlsFixtures.Tensor("separating.feats")[5];
        var labels = SlsFixtures.Labels("separating");
        var shifted = labels.Select(l => l * 7 + 100).ToArray();
        Assert.Equal(ClusterMetrics.Silhouette(x, labels), ClusterMetrics.Silhouette(x, shifted), 12);
    }
}
