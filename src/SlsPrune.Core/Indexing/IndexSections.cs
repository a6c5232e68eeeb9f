namespace SlsPrune.Core.Indexing;

/// <summary>Finds a method's section format by the method's name. The method registry (<c>Pruning/PruneMethods</c>,
/// above this folder) sets <see cref="Resolver"/> when the library loads, so an index read anywhere (eval, export,
/// retraining) has its section checked by the method that owns it; a name it does not know gets none, and the
/// section is kept as read (<see cref="RawSection"/>).</summary>
public static class IndexSections
{
    /// <summary>A method's name to its section format (null: the method has none, or is not known here).</summary>
    internal static Func<string, IIndexSectionFormat?> Resolver { get; set; } = _ => null;

    public static IIndexSectionFormat? Find(string method) => Resolver(method);
}
