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

        // The weights of one output pixel at a time: a table of every pixel's would take out x 4 x in/out entries,
        // gigabytes for an image of degenerate aspect ratio (1 x 100,000,000) though the image itself is small.
        var kh = new Kernel(image.Width, width);
        var kv = new Kernel(image.Height, height);

        byte[] src = image.Pixels;
        int srcW = image.Width;
        int rowFirst = 0;
        if (horizontal)
        {
            // Only the rows the vertical pass will read.
            rowFirst = kv.Window(0).Min;
            var (lastMin, lastCount) = kv.Window(height - 1);
            int rows = lastMin + lastCount - rowFirst;
            var tmp = new byte[(long)width * rows * 3];
            var w = new int[kh.KSize];
            for (int xx = 0; xx < width; xx++)
            {
                var (xmin, xmax) = kh.Weights(xx, w);
                for (int y = 0; y < rows; y++)
                {
                    long inRow = (long)(y + rowFirst) * srcW * 3;
                    int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                    for (int x = 0; x < xmax; x++)
                    {
                        long p = inRow + (x + xmin) * 3L;
                        s0 += src[p] * w[x];
                        s1 += src[p + 1] * w[x];
                        s2 += src[p + 2] * w[x];
                    }
                    long o = ((long)y * width + xx) * 3;
                    tmp[o] = Clip8(s0);
                    tmp[o + 1] = Clip8(s1);
                    tmp[o + 2] = Clip8(s2);
                }
            }
            src = tmp;
            srcW = width;
        }
        if (!vertical) return new RgbImage(width, height, src);

        var dst = new byte[(long)width * height * 3];
        var wv = new int[kv.KSize];
        for (int yy = 0; yy < height; yy++)
        {
            var (ymin, ymax) = kv.Weights(yy, wv);
            ymin -= rowFirst;
            for (int xx = 0; xx < srcW; xx++)
            {
                int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                for (int y = 0; y < ymax; y++)
                {
                    long p = ((long)(y + ymin) * srcW + xx) * 3;
                    s0 += src[p] * wv[y];
                    s1 += src[p + 1] * wv[y];
                    s2 += src[p + 2] * wv[y];
                }
                long o = ((long)yy * srcW + xx) * 3;
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

    /// <summary>Pillow's <c>precompute_coeffs</c> for one axis, one output pixel at a time: the first input
    /// index, the count, and the fixed-point weights.</summary>
    private sealed class Kernel
    {
        private readonly int _inSize;
        private readonly double _scale, _filterScale, _support;
        private readonly double[] _k;

        public Kernel(int inSize, int outSize)
        {
            _inSize = inSize;
            _scale = (double)inSize / outSize;
            _filterScale = Math.Max(_scale, 1.0);
            _support = Support * _filterScale;
            // No window holds more than the input's pixels, whatever the kernel's width.
            KSize = (int)Math.Min((long)Math.Ceiling(_support) * 2 + 1, inSize + 1L);
            _k = new double[KSize];
        }

        public int KSize { get; }

        public (int Min, int Count) Window(int xx)
        {
            double center = (xx + 0.5) * _scale;
            int xmin = (int)(center - _support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + _support + 0.5);
            if (xmax > _inSize) xmax = _inSize;
            return (xmin, xmax - xmin);
        }

        /// <summary>Fills <paramref name="weights"/> for output pixel <paramref name="xx"/>; returns its window.</summary>
        public (int Min, int Count) Weights(int xx, int[] weights)
        {
            var (xmin, xmax) = Window(xx);
            double center = (xx + 0.5) * _scale;
            double ss = 1.0 / _filterScale;
            double ww = 0;
            for (int x = 0; x < xmax; x++)
            {
                double w = Bicubic((x + xmin - center + 0.5) * ss);
                _k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++)
            {
                double w = ww != 0 ? _k[x] / ww : 0;
                weights[x] = w < 0
                    ? (int)(-0.5 + w * (1 << PrecisionBits))
                    : (int)(0.5 + w * (1 << PrecisionBits));
            }
            return (xmin, xmax);
        }
    }
}
