using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models;

/// <summary>Loads weights strictly: every parameter must be given with its exact shape, a floating-point parameter from a
/// floating-point tensor, and nothing extra. Problems are reported with the names at fault and the file each came from.</summary>
public static class StateDictLoader
{
    /// <param name="source">the file named where <paramref name="fileOf"/> is not given.</param>
    /// <param name="ignoreUnexpected">keys the caller knows may be present and unused (for example an
    /// ImageNet head when the PETL file brings its own).</param>
    /// <param name="fileOf">the file a weight came from, or should have come from (a backbone's or a PETL file's).</param>
    public static void Load(nn.Module model, IReadOnlyDictionary<string, Tensor> weights, string source, Func<string, bool>? ignoreUnexpected = null,
        Func<string, string>? fileOf = null)
    {
        fileOf ??= _ => source;
        var expected = model.state_dict();
        var missing = expected.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        var unexpected = weights.Keys.Where(k => !expected.ContainsKey(k) && (ignoreUnexpected is null || !ignoreUnexpected(k))).ToList();
        if (missing.Count > 0)
        {
            var file = fileOf(missing[0]);
            var own = missing.Where(k => fileOf(k) == file).ToList();
            throw new SlsInputException(file, $"missing {own.Count} weight(s) the model needs: {Preview(own)}");
        }
        if (unexpected.Count > 0)
        {
            var file = fileOf(unexpected[0]);
            var own = unexpected.Where(k => fileOf(k) == file).ToList();
            throw new SlsInputException(file, $"{own.Count} unexpected weight(s): {Preview(own)}");
        }
        using var _ = torch.no_grad();
        foreach (var (name, target) in expected)
        {
            var w = weights[name];
            if (!w.shape.SequenceEqual(target.shape))
                throw new SlsInputException(fileOf(name), $"weight '{name}' has shape [{string.Join(", ", w.shape)}], the model needs ["
                    + $"{string.Join(", ", target.shape)}]");
            RequireFloat(name, w, target, fileOf);
            target.copy_(w);
        }
    }

    /// <summary>Every weight of <paramref name="weights"/> is to become (or be folded into) a floating-point parameter, as when
    /// PETL modules are merged into the layers they adapt: an integer or boolean tensor among them is refused by name.</summary>
    public static void RequireFloat(IReadOnlyDictionary<string, Tensor> weights, Func<string, string> fileOf)
    {
        foreach (var (name, w) in weights) RequireFloat(name, w, null, fileOf);
    }

    /// <summary>A floating-point parameter (all of them where <paramref name="target"/> is null) comes from a floating-point tensor
    /// (F32, F16, BF16, F64): integer or boolean values copied in would give a model that runs and answers at chance.</summary>
    private static void RequireFloat(string name, Tensor w, Tensor? target, Func<string, string> fileOf)
    {
        if (w.is_floating_point() || target is { } t && !t.is_floating_point()) return;
        throw new SlsInputException(fileOf(name), $"weight '{name}' holds {(w.dtype == ScalarType.Bool ? "boolean" : "integer")} values; the "
            + "model's parameter needs floating-point weights (F32, F16, BF16 or F64)");
    }

    private static string Preview(List<string> names) => string.Join(", ", names.Take(5)) + (names.Count > 5 ? $" and {names.Count - 5} more" : "");
}
