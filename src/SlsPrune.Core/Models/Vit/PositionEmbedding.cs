using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>A ViT's absolute position embedding at another patch grid.</summary>
public static class PositionEmbedding
{
    /// <summary>[1, prefix + from², width] to [1, prefix + to², width]: the grid part resampled bicubically with
    /// antialiasing (as timm's <c>resample_abs_pos_embed</c>; computed in float32), the
    /// <paramref name="prefix"/> positions (class, distillation tokens) kept apart and unchanged.</summary>
    public static Tensor Resample(Tensor pos, int prefix, int from, int to)
    {
        using var scope = torch.NewDisposeScope();
        long width = pos.shape[2];
        if (pos.shape[0] != 1 || pos.shape[1] != prefix + (long)from * from)
            throw new ArgumentException($"position embedding [{string.Join(", ", pos.shape)}] is not {prefix} prefix positions and a {from}x{from} "
                + $"grid", nameof(pos));
        var grid = pos[.., prefix..].to(ScalarType.Float32).reshape(1, from, from, width).permute(0, 3, 1, 2);
        grid = nn.functional.interpolate(grid, size: [to, to], mode: InterpolationMode.Bicubic, align_corners: false, antialias: true);
        grid = grid.permute(0, 2, 3, 1).reshape(1, (long)to * to, width).to(pos.dtype);
        return torch.cat([pos[.., ..prefix], grid], 1).contiguous().MoveToOuterDisposeScope();
    }
}
