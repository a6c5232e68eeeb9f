using SlsPrune.Core.Data.Images;

namespace SlsPrune.Core.Training.Upstream;

/// <summary>How <c>sls pretrain</c> turns one upstream image (a grey item, <c>[h, w]</c> bytes) into the RGB image the
/// backbone trains on, freshly for every epoch. The <c>rng</c> that <c>Render</c> is given is seeded per (seed, epoch, image), so a run
/// is reproducible; augmentations that ignore it give the same image every epoch.</summary>
public interface IUpstreamAugmentation
{
    /// <summary>The value of <c>--augment</c>.</summary>
    string Name { get; }

    /// <summary>One line for <c>--help</c> and the backbone's metadata.</summary>
    string Description { get; }

    /// <summary>Whether every epoch gets the same image (the rng unused): then it is rendered once.</summary>
    bool SameEveryEpoch { get; }

    RgbImage Render(ReadOnlySpan<byte> grey, int height, int width, int size, Random rng);
}
