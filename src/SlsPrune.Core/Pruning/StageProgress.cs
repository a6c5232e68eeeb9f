namespace SlsPrune.Core.Pruning;

/// <summary>Stages <c>sls prune</c> reports progress for.</summary>
public enum PruneStage { Load, Costs, Features, Tsne, Scoring, Write }

/// <summary>Receives progress: a stage starts with a total, advances, and completes.</summary>
public interface IStageProgress
{
    void Start(PruneStage stage, string description, double total);

    void Advance(PruneStage stage, double value, string? detail = null);

    void Complete(PruneStage stage);

    /// <summary>Something the user should know that does not stop the run (one line).</summary>
    void Warn(string message) { }
}
