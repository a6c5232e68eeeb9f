namespace SlsPrune.Core.Data.Images;

/// <summary>
/// Pillow's <c>Image.resize(size, BICUBIC)</c> for 8-bit images, which is what torchvision's
/// <c>Resize((H, W), BICUBIC)</c> does to a PIL image: a separable convolution with the bicubic kernel
/// (a = -0.5) widened by the scale when shrinking (antialiasing), coefficients normalised and held in
/// fixed point (22 fraction bits), the horizontal pass first into an 8-bit intermediate, then the
/// vertical pass, each rounding and clipping to 0..255. An image already at the size is returned as is.
/// </summary>
public static class PilBicubicResize
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const double Support = 2.0;

    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), "target size must be positive");
        bool horizontal = width != image.Width, vertical = height != image.Height;
        if (!horizontal && !vertical) return image;

        var (kh, boundsH, ksizeH) = Coefficients(image.Width, width);
        var (kv, boundsV, ksizeV) = Coefficients(image.Height, height);

        byte[] src = image.Pixels;
        int srcW = image.Width;
        int rowFirst = 0, rows = image.Height;
        if (horizontal)
        {
            // Only the rows the vertical pass will read.
            rowFirst = boundsV[0];
            int rowLast = boundsV[(height - 1) * 2] + boundsV[(height - 1) * 2 + 1];
            rows = rowLast - rowFirst;
            var tmp = new byte[width * rows * 3];
            for (int y = 0; y < rows; y++)
            {
                int inRow = (y + rowFirst) * srcW * 3, outRow = y * width * 3;
                for (int xx = 0; xx < width; xx++)
                {
                    int xmin = boundsH[xx * 2], xmax = boundsH[xx * 2 + 1], k = xx * ksizeH;
                    int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                    for (int x = 0; x < xmax; x++)
                    {
                        int p = inRow + (x + xmin) * 3, w = kh[k + x];
                        s0 += src[p] * w;
                        s1 += src[p + 1] * w;
                        s2 += src[p + 2] * w;
                    }
                    int o = outRow + xx * 3;
                    tmp[o] = Clip8(s0);
                    tmp[o + 1] = Clip8(s1);
                    tmp[o + 2] = Clip8(s2);
                }
            }
            src = tmp;
            srcW = width;
        }
        if (!vertical) return new RgbImage(width, height, src);

        var dst = new byte[width * height * 3];
        for (int yy = 0; yy < height; yy++)
        {
            int ymin = boundsV[yy * 2] - rowFirst, ymax = boundsV[yy * 2 + 1], k = yy * ksizeV;
            for (int xx = 0; xx < srcW; xx++)
            {
                int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                for (int y = 0; y < ymax; y++)
                {
                    int p = ((y + ymin) * srcW + xx) * 3, w = kv[k + y];
                    s0 += src[p] * w;
                    s1 += src[p + 1] * w;
                    s2 += src[p + 2] * w;
                }
                int o = (yy * srcW + xx) * 3;
                dst[o] = Clip8(s0);
                dst[o + 1] = Clip8(s1);
                dst[o + 2] = Clip8(s2);
            }
        }
        return new RgbImage(width, height, dst);
    }

    private static byte Clip8(int v)
    {
        v >>= PrecisionBits;
        return v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
    }

    private static double Bicubic(double x)
    {
        const double a = -0.5;
        if (x < 0) x = -x;
        if (x < 1) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
        return 0;
    }

    /// <summary>Per output pixel: first input index, count, and fixed-point weights (ksize per pixel).</summary>
    private static (int[] Weights, int[] Bounds, int KSize) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = Support * filterScale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var weights = new int[outSize * ksize];
        var bounds = new int[outSize * 2];
        var k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = (int)(center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double ww = 0;
            for (int x = 0; x < xmax; x++)
            {
                double w = Bicubic((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < ksize; x++)
            {
                double w = x < xmax && ww != 0 ? k[x] / ww : 0;
                weights[xx * ksize + x] = w < 0
                    ? (int)(-0.5 + w * (1 << PrecisionBits))
                    : (int)(0.5 + w * (1 << PrecisionBits));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return (weights, bounds, ksize);
    }
}
