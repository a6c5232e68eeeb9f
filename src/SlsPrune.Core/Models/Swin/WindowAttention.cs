using SlsPrune.Core.Models.Layers;
using SlsPrune.Core.Models.Petl;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Swin;

/// <summary>
/// Window multi-head self-attention of Swin v1 on [B, H, W, C] tokens: the grid is padded (right and bottom, with
/// zeros) to a multiple of the window, cyclically shifted by half a window in shifted blocks, cut into windows of
/// window x window tokens, attended with a learnt relative position bias (a table of (2w-1)^2 x heads entries,
/// indexed by the relative offset of two tokens) and, when shifted, a mask (-100) between tokens that came from
/// different regions; then shifted back and cropped. A dimension whose padded grid the window covers is not
/// shifted (torchvision's rule). qkv and proj are the PETL method's linear slots (LoRA's). The index and the
/// mask are rebuilt here, never read from a checkpoint. A width-pruned block keeps fewer heads (their qkv rows,
/// proj columns and columns of the table) or fewer dimensions per head; the logits keep the full model's
/// 1 / sqrt(head dim), and the mask, shared by all heads, is unchanged.
/// </summary>
public sealed class WindowAttention : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> qkv;
    private readonly nn.Module<Tensor, Tensor> proj;
    private readonly Parameter relative_position_bias_table;
    private readonly int _heads;
    private readonly int _headDim;
    private readonly int _window;
    private readonly bool _shifted;
    private readonly Scalar _scale;   // owned (Runtime/Scalars)
    private readonly long[] _index;
    private Tensor? _indexOnDevice;
    private (long H, long W, Device Device, ScalarType Type, Tensor Mask)? _mask;

    /// <param name="heads">the heads kept.</param>
    /// <param name="headDim">the dimensions each kept head keeps.</param>
    /// <param name="fullHeadDim">the unpruned model's head dim, whose scale the logits keep.</param>
    public WindowAttention(int width, int heads, int headDim, int fullHeadDim, int window, bool shifted,
        PetlSettings petl) : base(nameof(WindowAttention))
    {
        _heads = heads;
        _headDim = headDim;
        _window = window;
        _shifted = shifted;
        _scale = (1.0 / Math.Sqrt(fullHeadDim)).ToScalar();
        int inner = heads * headDim;
        qkv = petl.Method.Linear(petl, LinearRole.Qkv, width, inner * 3) ?? nn.Linear(width, inner * 3);
        proj = petl.Method.Linear(petl, LinearRole.Proj, inner, width) ?? nn.Linear(inner, width);
        relative_position_bias_table = new Parameter(torch.zeros((2 * window - 1) * (2 * window - 1), heads));
        _index = RelativePositionIndex(window);
        RegisterComponents();
    }

    /// <summary>For tokens a and b of a window (row-major), the table row of their offset: (dy + w - 1) * (2w - 1) + dx + w - 1.</summary>
    public static long[] RelativePositionIndex(int w)
    {
        int n = w * w;
        var index = new long[n * n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                index[a * n + b] = (a / w - b / w + w - 1) * (2L * w - 1) + (a % w - b % w + w - 1);
        return index;
    }

    /// <summary>The PETL modules in the linear slots re-initialised (no-op without any).</summary>
    public void ResetPetl()
    {
        (qkv as IPetlModule)?.ResetPetl();
        (proj as IPetlModule)?.ResetPetl();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        long b = input.shape[0], h = input.shape[1], w = input.shape[2], c = input.shape[3];
        int win = _window, n = win * win;
        long padB = (win - h % win) % win, padR = (win - w % win) % win;
        var x = padB > 0 || padR > 0 ? nn.functional.pad(input, [0, 0, 0, padR, 0, padB]) : input;
        long ph = h + padB, pw = w + padR;
        long sh = _shifted && win < ph ? win / 2 : 0, sw = _shifted && win < pw ? win / 2 : 0;
        if (sh > 0 || sw > 0) x = x.roll([-sh, -sw], [1, 2]);

        long nh = ph / win, nw = pw / win, windows = nh * nw;
        x = x.view(b, nh, win, nw, win, c).permute(0, 1, 3, 2, 4, 5).reshape(b * windows, n, c);
        var parts = FlatLinear.Forward(qkv, x).reshape(b * windows, n, 3, _heads, _headDim).permute(2, 0, 3, 1, 4).unbind(0);
        var attn = parts[0].mul(_scale).matmul(parts[1].transpose(-2, -1)).add(Bias(n));
        if (sh > 0 || sw > 0)
            attn = attn.view(b, windows, _heads, n, n).add(Mask(ph, pw, sh, sw, attn.device, attn.dtype)).view(-1, _heads, n, n);
        var y = attn.softmax(-1).matmul(parts[2]).transpose(1, 2).reshape(b * windows, n, _heads * _headDim);
        y = FlatLinear.Forward(proj, y);

        y = y.view(b, nh, nw, win, win, c).permute(0, 1, 3, 2, 4, 5).reshape(b, ph, pw, c);
        if (sh > 0 || sw > 0) y = y.roll([sh, sw], [1, 2]);
        if (padB > 0 || padR > 0) y = y.slice(1, 0, h, 1).slice(2, 0, w, 1).contiguous();
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>[1, heads, n, n]: the table's entries for every pair of a window's tokens.</summary>
    private Tensor Bias(int n)
    {
        var table = relative_position_bias_table;
        if (_indexOnDevice is null || !Same(_indexOnDevice.device, table.device))
        {
            _indexOnDevice?.Dispose();
            _indexOnDevice = torch.tensor(_index, device: table.device).DetachFromDisposeScope();
        }
        return table.index_select(0, _indexOnDevice).view(n, n, _heads).permute(2, 0, 1).unsqueeze(0);
    }

    /// <summary>[1, windows, 1, n, n]: 0 between tokens of the same region of the shifted grid, -100 otherwise.
    /// Regions along a shifted axis: before the last window, the last window less the shift, the shift.</summary>
    private Tensor Mask(long ph, long pw, long sh, long sw, Device device, ScalarType type)
    {
        if (_mask is { } m && m.H == ph && m.W == pw && Same(m.Device, device) && m.Type == type) return m.Mask;
        int win = _window, n = win * win;
        long nh = ph / win, nw = pw / win;
        var values = MaskValues(ph, pw, sh, sw, win);
        _mask?.Mask.Dispose();
        var mask = torch.tensor(values, [1, nh * nw, 1, n, n]).DetachFromDisposeScope();
        if (mask.dtype != type || !Same(mask.device, device))
        {
            var moved = mask.to(type, device).DetachFromDisposeScope();
            mask.Dispose();
            mask = moved;
        }
        _mask = (ph, pw, device, type, mask);
        return mask;
    }

    /// <summary>The shift mask's values, [windows, n, n] row-major (see <see cref="Mask"/>).</summary>
    public static float[] MaskValues(long ph, long pw, long sh, long sw, int win)
    {
        int n = win * win;
        long nh = ph / win, nw = pw / win;
        static int Region(long i, long size, int win, long shift) => shift == 0 || i < size - win ? 0 : i < size - shift ? 1 : 2;
        var values = new float[nh * nw * n * n];
        var label = new int[n];
        for (long wy = 0; wy < nh; wy++)
            for (long wx = 0; wx < nw; wx++)
            {
                for (int t = 0; t < n; t++)
                    label[t] = 3 * Region(wy * win + t / win, ph, win, sh) + Region(wx * win + t % win, pw, win, sw);
                long offset = (wy * nw + wx) * n * n;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        values[offset + i * n + j] = label[i] == label[j] ? 0f : -100f;
            }
        return values;
    }

    private static bool Same(Device a, Device b) => a.type == b.type && a.index == b.index;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _indexOnDevice?.Dispose();
            _mask?.Mask.Dispose();
            _scale.Dispose();
        }
        base.Dispose(disposing);
    }
}
