using SlsPrune.Core.Models.Petl;

namespace SlsPrune.Core.Models;

/// <summary>Parameter counts split the way storage is accounted: the shared backbone, the per-task PETL
/// modules, and the per-task head.</summary>
public sealed record ParameterCounts(long Backbone, long Petl, long Head)
{
    public long Total => Backbone + Petl + Head;

    /// <summary>The split of named parameters (or tensors): <c>head.*</c>, a PETL method's, the rest backbone.</summary>
    public static ParameterCounts Of(IEnumerable<(string Name, long Count)> parameters)
    {
        long backbone = 0, petl = 0, head = 0;
        foreach (var (name, count) in parameters)
        {
            if (name.StartsWith("head.", StringComparison.Ordinal)) head += count;
            else if (PetlMethods.IsTaskParameter(name)) petl += count;
            else backbone += count;
        }
        return new ParameterCounts(backbone, petl, head);
    }

    public static ParameterCounts Of(Backbone model) => Of(model.named_parameters().Select(p => (p.name, p.parameter.numel())));
}
