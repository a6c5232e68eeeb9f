namespace SlsPrune.Core.Checkpoints.Converters;

/// <summary>The checkpoint layouts <c>sls</c> reads, most specific first: the first that recognises a state
/// dict converts it. A new layout is one converter file and one line here.</summary>
public static class StateDictConverters
{
    public static readonly IReadOnlyList<IStateDictConverter> All = [
        new GoogleNpzConverter(),
        new TorchvisionVitConverter(),
        new HuggingFaceVitConverter(),
        new HuggingFaceDinov2Converter(),
        new OpenClipConverter(),
        new TorchvisionSwinConverter(),
        new TimmSwinConverter(),
        new TimmConverter(),
    ];

    public static IStateDictConverter For(IReadOnlyCollection<string> names) => All.First(c => c.Recognises(names));
}
