using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Features;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>Batches side by side on the CPU (<see cref="BatchStreams"/>): how many, and that the feature pass and
/// <c>sls eval</c>'s counts give what the in-order pass gives, bit for bit, name the same failing file, and leave
/// libtorch's thread count as it was.</summary>
// libtorch's thread count and the thread budget are per process, and these tests read them: they run with no other test
[Collection(nameof(GlobalTorchRng))]
public class BatchStreamsTests
{
    private static string Shipped => Fixtures.Shipped;

    private static ModelOptions ShippedModel => Fixtures.ShippedModel;

    private static IReadOnlyList<LabelledImage> Calibration(int count)
    {
        var task = DataLayouts.Open(Path.Combine(Shipped, "calibration", "structured-location"));
        return task.Read("train800val200", 5).Take(count).ToList();
    }

    [Theory]
    [InlineData("cpu", 2, 8, 1L << 20, 2)]        // the shipped model's case: both threads, one batch each
    [InlineData("cpu", 16, 3, 1L << 20, 3)]       // no more streams than batches
    [InlineData("cpu", 1, 8, 1L << 20, 1)]        // one thread: in order
    [InlineData("cpu", 2, 1, 1L << 20, 1)]        // one batch: in order
    [InlineData("cpu", 8, 8, 300L << 20, 3)]      // 1 GiB of activations in flight: 3 batches of 300 MiB
    [InlineData("cpu", 8, 8, 2L << 30, 1)]        // a batch over the bound runs alone
    [InlineData("cuda", 2, 8, 1L << 20, 1)]       // a GPU runs its own streams
    public void Streams_follow_threads_batches_and_memory(string device, int threads, int batches, long bytesPerBatch, int expected) =>
        Assert.Equal(expected, BatchStreams.For(new torch.Device(device), threads, batches, bytesPerBatch));

    [Fact]
    public void A_split_s_streams_come_from_its_batches_their_bytes_and_the_thread_budget()
    {
        var cpu = new torch.Device("cpu");
        // 1000 images in batches of 128: 8 batches of 128 MiB each
        Assert.Equal(BatchStreams.For(cpu, Runtime.ThreadBudget.Threads, 8, 128L << 20), BatchStreams.ForSplit(cpu, 1000, 128, 1L << 20));
        Assert.Equal(1, BatchStreams.ForSplit(cpu, 100, 128, 1L << 20));     // one batch
        Assert.Equal(1, BatchStreams.ForSplit(cpu, 1000, 0, 1L << 20));      // no batch size: the caller refuses it
    }

    [Fact]
    public void Side_by_side_gives_the_in_order_features_predictions_and_labels_bit_for_bit()
    {
        using var built = ModelFactory.Build(ShippedModel);
        var items = Calibration(42);                  // 6 batches of 8, the last one of 2
        var pre = Preprocessor.For(built.Model.Input);
        int before = torch.get_num_threads();
        var reports = new List<int>();
        using var inOrder = LayerFeatureExtractor.Extract(built.Model, items, pre, 8, torch.CPU, streams: 1, predictions: true);
        using var sideBySide = LayerFeatureExtractor.Extract(built.Model, items, pre, 8, torch.CPU, streams: 2,
            new SyncProgress(reports.Add), predictions: true);
        Assert.Equal([8, 42, 192], inOrder.Features.shape);
        Assert.True(Fixtures.Same(inOrder.Features, sideBySide.Features), "features differ");
        Assert.Equal(items.Select(i => (long)i.Label), sideBySide.Labels);
        Assert.Equal(inOrder.Labels, sideBySide.Labels);
        Assert.Equal(inOrder.Predictions!.Select(p => p.ToList()), sideBySide.Predictions!.Select(p => p.ToList()));
        Assert.Equal(6, reports.Count);
        Assert.Equal(reports.Order(), reports);       // images done so far: rising, whatever the order the batches end in
        Assert.Equal(42, reports[^1]);
        Assert.Equal(before, torch.get_num_threads());
    }

    [Fact]
    public void Eval_side_by_side_counts_what_the_in_order_pass_counts()
    {
        using var built = ModelFactory.Build(ShippedModel);
        var model = built.Model;
        model.eval();
        var items = Calibration(100);                 // 7 batches of 16, the last one of 4
        var pre = Preprocessor.For(model.Input);
        int before = torch.get_num_threads();
        var reports = new List<int>();
        var inOrder = Evaluation.Accuracy.Confusion(x => model.forward(x), items, pre, 16, model.NumClasses, 1);
        var sideBySide = Evaluation.Accuracy.Confusion(x => model.forward(x), items, pre, 16, model.NumClasses, 2, new SyncProgress(reports.Add));
        Assert.Equal(inOrder, sideBySide);
        Assert.Equal(100, sideBySide.Sum(row => row.Sum()));
        Assert.True(Enumerable.Range(0, 5).Sum(c => sideBySide[c][c]) > 50, "the shipped model gets most of its own task right");
        Assert.Equal(reports.Order(), reports);
        Assert.Equal(100, reports[^1]);
        Assert.Equal(before, torch.get_num_threads());
    }

    [Fact]
    public void Side_by_side_names_the_first_failing_image_as_the_in_order_pass_does()
    {
        using var built = ModelFactory.Build(ShippedModel);
        string dir = Directory.CreateTempSubdirectory("sls-streams-").FullName;
        try
        {
            string early = Path.Combine(dir, "early.png"), late = Path.Combine(dir, "late.png");
            File.WriteAllBytes(early, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
            File.WriteAllBytes(late, [0x89, (byte)'P', (byte)'N', (byte)'G', 4, 5, 6]);
            var items = Calibration(40).ToList();
            items[13] = new LabelledImage(early, 0);  // batch 1 of 5
            items[35] = new LabelledImage(late, 0);   // batch 4
            var pre = Preprocessor.For(built.Model.Input);
            int before = torch.get_num_threads();
            var inOrder = Assert.Throws<SlsInputException>(() => LayerFeatureExtractor.Extract(built.Model, items, pre, 8, torch.CPU, streams: 1));
            var sideBySide = Assert.Throws<SlsInputException>(() => LayerFeatureExtractor.Extract(built.Model, items, pre, 8, torch.CPU, streams: 2));
            Assert.StartsWith(early, inOrder.Message, StringComparison.Ordinal);
            Assert.Equal(inOrder.Message, sideBySide.Message);
            Assert.Equal(before, torch.get_num_threads());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_progress_callback_that_throws_on_any_stream_throws_to_the_caller_not_the_process()
    {
        // as a cancelled run's progress does (PruneContext.Advance): on a helper thread an escaping exception ends the process
        using var built = ModelFactory.Build(ShippedModel);
        var items = Calibration(48);
        var pre = Preprocessor.For(built.Model.Input);
        int before = torch.get_num_threads(), reports = 0;
        var cancelling = new SyncProgress(_ =>
        {
            if (Interlocked.Increment(ref reports) >= 2) throw new OperationCanceledException("stopped");
        });
        var e = Assert.Throws<OperationCanceledException>(() => LayerFeatureExtractor.Extract(built.Model, items, pre, 8, torch.CPU, streams: 2,
            cancelling));
        Assert.Equal("stopped", e.Message);
        Assert.Equal(before, torch.get_num_threads());
    }

    /// <summary>Reports at once on the reporting thread (<see cref="Progress{T}"/> posts to the pool).</summary>
    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
