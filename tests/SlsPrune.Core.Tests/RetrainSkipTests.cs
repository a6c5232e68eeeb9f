namespace SlsPrune.Core.Tests;

/// <summary>Retraining after pruning is skipped, with a note, when the index keeps every block at full width (the pruned
/// model is the unpruned one); any pruned block or narrowed width retrains.</summary>
public class RetrainSkipTests
{
    [Fact]
    public void An_index_that_keeps_every_block_is_not_retrained_and_says_why()
    {
        string dir = Directory.CreateTempSubdirectory("sls-retrain-skip-").FullName;
        var model = new ModelOptions(Fixtures.File("backbone.safetensors"), Fixtures.File("convpass.safetensors"), Heads: 3, Device: "cpu",
            BatchSize: 16);
        string task = TrainingTests.PatternTask(), index = Path.Combine(dir, "all.sls.json");
        var bi = PruneMethods.Get("bi");
        PruneRunner.Run(new PruneOptions(model, task, bi, bi.ReadOptions(new System.Text.Json.Nodes.JsonObject { ["keep_blocks"] = 3 }, "test"),
            Out: index));
        var ix = PruningIndex.Load(index);
        Assert.Equal([1, 2, 3], ix.KeptBlocks);
        Assert.Equal(3, ix.Depth);

        var notes = new List<string>();
        string outFile = Path.Combine(dir, "retrained.safetensors");
        var r = Retraining.Run(new TrainOptions(model with { Petl = null }, task, new PetlSettings(new ConvpassMethod(), 8, 0.7), outFile, Epochs: 2,
            InitFrom: model.Petl)
        { Note = notes.Add }, index, allowMismatch: false);
        string why = "retraining skipped: the index keeps every block (3 of 3) at full width, so the pruned model is the unpruned one and its PETL "
            + "file stays as it is";
        Assert.Equal([why], notes);
        Assert.Equal((why, 0, (string?)null), (r.Skipped, r.Epochs, r.Index));
        Assert.False(File.Exists(outFile));
        Assert.False(File.Exists(PetlTrainer.StatePath(outFile)));

        // one block dropped, or every block kept but one narrowed: that is a pruned model, retrained
        Assert.Null(Retraining.NothingPruned(ix with { KeptBlocks = [1, 2] }));
        Assert.Null(Retraining.NothingPruned(ix with { Width = [new BlockWidthEntry(2, [0, 1], [0, 1, 2])] }));
        Assert.Equal(why, Retraining.NothingPruned(ix with { Width = [] }));
    }
}
