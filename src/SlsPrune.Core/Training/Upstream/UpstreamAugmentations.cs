namespace SlsPrune.Core.Training.Upstream;

/// <summary>The upstream augmentations <c>sls pretrain --augment</c> knows, by name.</summary>
public static class UpstreamAugmentations
{
    public static IReadOnlyList<IUpstreamAugmentation> All { get; } = [new PlainUpstream(), new NaturalUpstream()];

    public static IUpstreamAugmentation Get(string name) => All.FirstOrDefault(a => a.Name == name)
        ?? throw new SlsInputException("--augment", $"'{name}' is not one of {string.Join(", ", All.Select(a => a.Name))}");
}
