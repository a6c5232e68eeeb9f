namespace SlsPrune.Core.Models;

/// <summary>
/// Rule three for sizes chosen by the user: an input size and a batch size whose activations could not fit in memory
/// are refused before the first batch, not met by the kernel's out-of-memory killer minutes later (a Swin at
/// <c>--image-size 4096</c> took 23 GB; a ViT at 1024 px with 16,384 tokens attends over 2^28 pairs per head).
/// </summary>
public static class ActivationBudget
{
    /// <summary>The most bytes one block's activations of a batch may take (float32 estimate).</summary>
    public const long MaxBytes = 8L << 30;

    /// <exception cref="SlsInputException">naming <c>--batch-size</c> with the estimate and what to lower.</exception>
    public static void Check(Backbone model, int batchSize)
    {
        long perImage = model.ActivationBytesPerImage();
        if (perImage <= 0) return;
        if (perImage > MaxBytes)
            throw new SlsInputException("--image-size", $"at {model.Input.ImageSize} px one image's activations take about {Gib(perImage)} per "
                + $"block, more than the {Gib(MaxBytes)} bound; use a smaller --image-size");
        long batch = perImage * Math.Max(1, batchSize);
        if (batch > MaxBytes)
            throw new SlsInputException("--batch-size", $"{batchSize} images at {model.Input.ImageSize} px take about {Gib(batch)} of activations "
                + $"per block, more than the {Gib(MaxBytes)} bound; "
                + $"use --batch-size {(MaxBytes / perImage is > 1 and var most ? $"{most} or less" : "1")}, or a smaller --image-size");
    }

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

    private static string Gib(long bytes) => bytes >= 1L << 30 ? $"{(double)bytes / (1L << 30):0.#} GiB" : $"{(double)bytes / (1L << 20):0.#} MiB";
}
