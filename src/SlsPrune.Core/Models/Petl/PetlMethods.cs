using SlsPrune.Core.Models.Petl.Methods;

namespace SlsPrune.Core.Models.Petl;

/// <summary>The PETL methods <c>sls</c> knows, in the order detection asks them (SPLoRA before LoRA: its qkv
/// carries LoRA too). Head-only <see cref="Linear"/> is what a file with no method's tensors holds. A new method
/// is one file under Methods/ and one line here.</summary>
public static class PetlMethods
{
    public static readonly PetlMethod Linear = new LinearProbe();

    public static readonly IReadOnlyList<PetlMethod> All = [
        Linear,
        new ConvpassMethod(),
        new RepAdapterMethod(),
        new SpLoraMethod(),
        new LoraMethod(),
        new AdaptFormerMethod(),
        new VptMethod(),
    ];

    public static string Names => string.Join(", ", All.Select(m => m.Name));

    public static PetlMethod? ByName(string name) => All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The method whose tensors the names hold (head only: <see cref="Linear"/>).</summary>
    public static PetlMethod Detect(IEnumerable<string> names)
    {
        var list = names as IReadOnlyCollection<string> ?? names.ToList();
        return All.FirstOrDefault(m => m.Detect(list)) ?? Linear;
    }

    /// <summary>Whether a state-dict entry belongs to the task (PETL modules of any method, and the head) rather
    /// than the shared backbone: what training updates and what a PETL file holds.</summary>
    public static bool IsTaskParameter(string name) => name.StartsWith("head.", StringComparison.Ordinal) || All.Any(m => m.OwnsParameter(name));
}
