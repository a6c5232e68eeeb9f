using System.Text.Json.Serialization;

namespace SlsPrune.Core.Models;

/// <summary>The input size a model runs at and where it came from: <see cref="From"/> is <c>checkpoint</c> (its
/// tensors or its metadata say it: a ViT's position embedding, <c>sls pretrain</c>'s or <c>sls export</c>'s
/// <c>image_size</c>), <c>option</c> (<c>--image-size</c>, a manifest's <c>image_size</c>) or <c>assumed</c> (nothing
/// says it: a torchvision or timm Swin state dict runs at its variant's size, else 224). <see cref="Basis"/> says it
/// in words; <see cref="Unrecorded"/> (assumed only) why nothing says it. The pruning index and eval's result record
/// it (<c>input</c>).</summary>
public sealed record InputSizeOrigin(int ImageSize, string From, string? Basis = null)
{
    public const string Checkpoint = "checkpoint";
    public const string Option = "option";
    public const string Assumed = "assumed";

    /// <summary>The three values of <see cref="From"/>.</summary>
    public static readonly IReadOnlyList<string> Origins = [Checkpoint, Option, Assumed];

    /// <summary>Why the size had to be assumed (e.g. <c>the input size is not recorded in a torchvision-swin checkpoint</c>).</summary>
    [JsonIgnore]
    public string? Unrecorded { get; init; }

    [JsonIgnore]
    public bool IsAssumed => From == Assumed;

    /// <summary>Where the size came from, in words (<c>sls inspect</c>).</summary>
    public string Describe() => Basis is null ? From : $"{From}: {Basis}";

    /// <summary>The one warning line of an assumed size (without the <c>sls: warning: </c> prefix); null otherwise.</summary>
    public string? Warning(string file) => IsAssumed
        ? $"{Printable.Escape(file)}: {Unrecorded ?? "the input size is not recorded in the checkpoint"}; assuming {ImageSize} px"
            + $"{(Basis is null ? "" : $" ({Basis})")}; give --image-size to set it"
        : null;
}
