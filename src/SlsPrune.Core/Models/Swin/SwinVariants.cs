namespace SlsPrune.Core.Models.Swin;

/// <summary>A named Swin v1 configuration: what the tensors show (width, depths, heads, window) and the input
/// size they do not.</summary>
public sealed record SwinVariant(string Name, int EmbedWidth, int[] Depths, int[] Heads, int Window, int ImageSize);

/// <summary>torchvision's and timm's Swin v1 variants (patch 4).</summary>
public static class SwinVariants
{
    public static readonly IReadOnlyList<SwinVariant> All = [
        new("swin_t", 96, [2, 2, 6, 2], [3, 6, 12, 24], 7, 224),
        new("swin_s", 96, [2, 2, 18, 2], [3, 6, 12, 24], 7, 224),
        new("swin_b", 128, [2, 2, 18, 2], [4, 8, 16, 32], 7, 224),
        new("swin_l", 192, [2, 2, 18, 2], [6, 12, 24, 48], 7, 224),
        new("swin_tiny_patch4_window7_224", 96, [2, 2, 6, 2], [3, 6, 12, 24], 7, 224),
        new("swin_small_patch4_window7_224", 96, [2, 2, 18, 2], [3, 6, 12, 24], 7, 224),
        new("swin_base_patch4_window7_224", 128, [2, 2, 18, 2], [4, 8, 16, 32], 7, 224),
        new("swin_base_patch4_window12_384", 128, [2, 2, 18, 2], [4, 8, 16, 32], 12, 384),
        new("swin_large_patch4_window7_224", 192, [2, 2, 18, 2], [6, 12, 24, 48], 7, 224),
        new("swin_large_patch4_window12_384", 192, [2, 2, 18, 2], [6, 12, 24, 48], 12, 384),
    ];

    public static SwinVariant? ByName(string name) => All.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The first variant of this shape (torchvision's name before timm's), or null.</summary>
    public static SwinVariant? Match(SwinConfig c) => All.FirstOrDefault(v => v.EmbedWidth == c.EmbedWidth && v.Depths.SequenceEqual(c.Depths)
        && v.Heads.SequenceEqual(c.Heads) && c.Windows.All(w => w == v.Window));
}
