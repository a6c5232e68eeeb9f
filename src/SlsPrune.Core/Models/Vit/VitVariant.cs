namespace SlsPrune.Core.Models.Vit;

/// <summary>A named ViT size (timm's <c>vit_{size}_patch{p}_224</c>).</summary>
public sealed record VitVariant(string Name, int PatchSize, int Width, int Depth, int Heads, int MlpHidden, int ImageSize = 224);

/// <summary>The variants table: the head count that tensor shapes do not reveal, by width.</summary>
public static class VitVariants
{
    public static readonly IReadOnlyList<VitVariant> All = [
        new("vit_tiny_patch16_224", 16, 192, 12, 3, 768),
        new("vit_tiny_patch32_224", 32, 192, 12, 3, 768),
        new("vit_small_patch16_224", 16, 384, 12, 6, 1536),
        new("vit_small_patch32_224", 32, 384, 12, 6, 1536),
        new("vit_base_patch16_224", 16, 768, 12, 12, 3072),
        new("vit_base_patch32_224", 32, 768, 12, 12, 3072),
        new("vit_large_patch16_224", 16, 1024, 24, 16, 4096),
        new("vit_large_patch32_224", 32, 1024, 24, 16, 4096),
    ];

    public static VitVariant? ByName(string name) => All.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Heads for a width from the table, or null when no variant has that width.</summary>
    public static int? HeadsForWidth(int width) => All.FirstOrDefault(v => v.Width == width)?.Heads;

    /// <summary>The variant whose patch, width, depth and MLP size all match, if any (for reports).</summary>
    public static VitVariant? Match(VitConfig c) =>
        All.FirstOrDefault(v => v.PatchSize == c.PatchSize && v.Width == c.Width && v.Depth == c.Depth && v.MlpHidden == c.MlpHidden
            && v.ImageSize == c.ImageSize);
}
