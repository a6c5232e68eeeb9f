using SlsPrune.Core.Models.Swin;
using SlsPrune.Core.Models.Vit;

namespace SlsPrune.Core.Models;

/// <summary>The backbone families <c>sls</c> builds, most specific first: the first that recognises a converted
/// state dict builds it. A new family is one folder and one line here.</summary>
public static class BackboneFamilies
{
    /// <summary>Every family, most specific first: <see cref="Find"/> returns the first whose
    /// <see cref="IBackboneFamily.Recognises"/> accepts a converted state dict.</summary>
    public static readonly IReadOnlyList<IBackboneFamily> All = [
        new VitFamily(),
        new SwinFamily(),
    ];

    /// <summary>The family <c>sls pretrain</c> trains unless told another.</summary>
    public const string Default = "vit";

    /// <summary>The family of this name (<see cref="IBackboneFamily.Name"/>), or null.</summary>
    public static IBackboneFamily? Named(string name) => All.FirstOrDefault(f => f.Name == name);

    /// <summary>The family of these converted tensors, or null.</summary>
    public static IBackboneFamily? Find(IReadOnlyDictionary<string, long[]> shapes) => All.FirstOrDefault(f => f.Recognises(shapes));

    /// <exception cref="SlsInputException">naming <paramref name="source"/>, its first names and the known families, when none recognises
    /// it.</exception>
    public static IBackboneFamily For(IReadOnlyDictionary<string, long[]> shapes, string source) => Find(shapes)
        ?? throw new SlsInputException(source, $"not a backbone of a known family ({string.Join(", ", All.Select(f => f.Name))}); its first "
            + $"tensors are "
            + (shapes.Count == 0 ? "none" : string.Join(", ", shapes.Keys.Order(StringComparer.Ordinal).Take(5).Select(k =>
                $"'{Printable.Escape(k)}'"))));
}
