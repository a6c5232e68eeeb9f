namespace SlsPrune.Core.Pruning;

/// <summary>Progress that shows no stages and passes each warning on (a batch's log line per warning).</summary>
public sealed class WarningsOnly(Action<string> warn) : IStageProgress
{
    public void Start(PruneStage stage, string description, double total) { }

    public void Advance(PruneStage stage, double value, string? detail = null) { }

    public void Complete(PruneStage stage) { }

    public void Warn(string message) => warn(message);
}
