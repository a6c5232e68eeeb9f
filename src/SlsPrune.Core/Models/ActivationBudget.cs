using SlsPrune.Core.Models.Petl;

namespace SlsPrune.Core.Models;

/// <summary>
/// Rule three for sizes chosen by the user: an input size and a batch size whose activations could not fit in memory
/// are refused before the first batch, not met by the kernel's out-of-memory killer minutes later (a Swin at
/// <c>--image-size 4096</c> took 23 GB; a ViT at 1024 px with 16,384 tokens attends over 2^28 pairs per head); and a
/// shape whose weights could not fit (<c>sls pretrain --depth 100000</c>, <c>sls train --petl-dim 20000</c> of a
/// convpass) is refused from its numbers before a tensor of it is made.
/// </summary>
public static class ActivationBudget
{
    /// <summary>The most bytes one block's activations of a batch may take (float32 estimate).</summary>
    public const long MaxBytes = 8L << 30;

    /// <summary>The most bytes a model's weights may take in training: float32 weights, their gradients and AdamW's two
    /// moments, 16 bytes a parameter (so about 537 million parameters).</summary>
    public const long MaxTrainingBytes = 8L << 30;

    /// <summary>The largest batch timed (<c>--throughput-batches</c>, <c>--latency-batch</c>): checked where no model is at hand
    /// yet (a manifest, the command line); the model's activations at that batch are bounded by <see cref="Check(Backbone, int, string)"/>
    /// before the first one is made.</summary>
    public const int MaxTimedBatch = 4096;

    /// <summary>A timed batch size within 1..<see cref="MaxTimedBatch"/>.</summary>
    /// <exception cref="SlsInputException">naming <paramref name="option"/>.</exception>
    public static int CheckTimedBatch(int batch, string option) => batch >= 1 && batch <= MaxTimedBatch ? batch
        : throw new SlsInputException(option, $"must be within 1..{MaxTimedBatch} (got {batch})");

    /// <summary>Bytes a parameter takes in training (weight, gradient, AdamW's two moments; float32).</summary>
    public const int TrainingBytesPerParameter = 16;

    /// <exception cref="SlsInputException">naming <paramref name="batchOption"/> (<c>--batch-size</c> unless told) with the
    /// estimate and what to lower.</exception>
    public static void Check(Backbone model, int batchSize, string batchOption = "--batch-size") =>
        Check(model.ActivationBytesPerImage(), model.Input.ImageSize, batchSize, batchOption);

    /// <summary>The check of <see cref="Check(Backbone, int, string)"/> from a shape's own estimate, before a model of it is built.</summary>
    /// <exception cref="SlsInputException">naming <c>--image-size</c> or <paramref name="batchOption"/>.</exception>
    public static void Check(long perImage, int imageSize, int batchSize, string batchOption = "--batch-size")
    {
        if (perImage <= 0) return;
        if (perImage > MaxBytes)
            throw new SlsInputException("--image-size", $"at {imageSize} px one image's activations take about {Gib(perImage)} per "
                + $"block, more than the {Gib(MaxBytes)} bound; use a smaller --image-size");
        long batch = perImage > long.MaxValue / Math.Max(1, batchSize) ? long.MaxValue : perImage * Math.Max(1, batchSize);
        if (batch > MaxBytes)
            throw new SlsInputException(batchOption, $"{batchSize} images at {imageSize} px take about {Gib(batch)} of activations "
                + $"per block, more than the {Gib(MaxBytes)} bound; "
                + $"use {batchOption} {(MaxBytes / perImage is > 1 and var most ? $"{most} or less" : "1")}, or a smaller --image-size");
    }

    /// <summary>What training a model of <paramref name="shape"/> with <paramref name="petl"/>'s modules adds: the parameters
    /// trained (the shape's estimate: every one for <paramref name="wholeModel"/>, pre-training; else the PETL modules',
    /// the backbone's weights being a file already read) within <see cref="MaxTrainingBytes"/>, checked before it is built.</summary>
    /// <exception cref="SlsInputException">naming <paramref name="subject"/> (the options that size it).</exception>
    public static void CheckTraining(IBackboneShape shape, PetlSettings petl, string subject, bool wholeModel)
    {
        double parameters = wholeModel ? shape.Parameters(petl) : shape.Parameters(petl) - shape.Parameters(PetlSettings.None);
        double bytes = parameters * TrainingBytesPerParameter;
        if (bytes > MaxTrainingBytes)
            throw new SlsInputException(subject, $"{(wholeModel ? "the model" : "the PETL modules")} would hold about {Count(parameters)} "
                + $"parameters ({Gib(bytes)} to train, with gradients and AdamW's moments), more than the {Gib(MaxTrainingBytes)} bound");
    }

    private static string Count(double n) => n >= 1e9 ? $"{n / 1e9:0.#} billion" : $"{n / 1e6:0.#} million";

    private static string Gib(double bytes) => bytes >= 1L << 30 ? $"{bytes / (1L << 30):0.#} GiB" : $"{bytes / (1L << 20):0.#} MiB";

    /// <summary>The most bytes a batch's input may take (float32): a graph whose input size is not fixed (an ONNX file's) has no
    /// activation estimate, but its input is made here.</summary>
    public const long MaxInputBytes = 1L << 30;

    /// <summary>A batch of <paramref name="batchSize"/> inputs of <paramref name="channels"/> x <paramref name="size"/>^2 float32
    /// values within <see cref="MaxInputBytes"/>, checked before it is made.</summary>
    /// <exception cref="SlsInputException">naming <paramref name="option"/> (the batch size's) with what fits.</exception>
    public static void CheckInput(int channels, int size, int batchSize, string option)
    {
        long perImage = 4L * channels * size * size, batch = perImage * Math.Max(1, batchSize);
        if (batch <= MaxInputBytes) return;
        throw new SlsInputException(option, $"{batchSize} images of {channels} x {size} x {size} take {Gib(batch)} as input, more than the "
            + $"{Gib(MaxInputBytes)} bound; use {(MaxInputBytes / perImage is >= 1 and var most ? $"{most} or less" : "a smaller input size")}");
    }
}
