using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models;

/// <summary>Loads weights strictly: every parameter must be given with its exact shape, and nothing extra.
/// Problems are reported with the names at fault.</summary>
public static class StateDictLoader
{
    /// <param name="ignoreUnexpected">keys the caller knows may be present and unused (for example an
    /// ImageNet head when the PETL file brings its own).</param>
    public static void Load(nn.Module model, IReadOnlyDictionary<string, Tensor> weights, string source, Func<string, bool>? ignoreUnexpected = null)
    {
        var expected = model.state_dict();
        var missing = expected.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        var unexpected = weights.Keys.Where(k => !expected.ContainsKey(k) && (ignoreUnexpected is null || !ignoreUnexpected(k))).ToList();
        if (missing.Count > 0)
            throw new SlsInputException(source, $"missing {missing.Count} weight(s) the model needs: {Preview(missing)}");
        if (unexpected.Count > 0)
            throw new SlsInputException(source, $"{unexpected.Count} unexpected weight(s): {Preview(unexpected)}");
        using var _ = torch.no_grad();
        foreach (var (name, target) in expected)
        {
            var w = weights[name];
            if (!w.shape.SequenceEqual(target.shape))
                throw new SlsInputException(source, $"weight '{name}' has shape [{string.Join(", ", w.shape)}], the model needs ["
                    + $"{string.Join(", ", target.shape)}]");
            target.copy_(w);
        }
    }

    private static string Preview(List<string> names) => string.Join(", ", names.Take(5)) + (names.Count > 5 ? $" and {names.Count - 5} more" : "");
}
