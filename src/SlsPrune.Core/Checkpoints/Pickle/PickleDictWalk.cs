namespace SlsPrune.Core.Checkpoints.Pickle;

/// <summary>
/// Walks the dicts nested in an unpickled value without trusting their shape: the memo lets a pickle put a
/// dict inside itself, or share one dict many times over, and a few kilobytes nest hundreds of thousands of
/// dicts. The walk is iterative, refuses a dict that contains itself, and bounds both the nesting depth and
/// the number of entries it visits, so the stack and the time stay bounded whatever the file holds.
/// </summary>
public static class PickleDictWalk
{
    /// <summary>The deepest nesting read: a state dict nests a few levels (<c>model</c> / <c>blocks</c> / ...).</summary>
    public const int MaxDepth = 100;

    /// <summary>The most dict entries visited in one walk: far above a 10,000-tensor checkpoint's.</summary>
    public const int MaxEntries = 4_000_000;

    /// <summary>Every tensor under <paramref name="root"/>, depth first in file order, with its dotted name.</summary>
    /// <param name="source">the file, named in errors.</param>
    public static IEnumerable<(string Name, TensorRef Tensor)> Tensors(PickleDict root, string source)
    {
        var onPath = new HashSet<PickleDict>(ReferenceEqualityComparer.Instance) { root };
        var stack = new Stack<(PickleDict Dict, string Prefix, int Next)>();
        stack.Push((root, "", 0));
        long visited = 0;
        while (stack.Count > 0)
        {
            var (dict, prefix, next) = stack.Pop();
            if (next >= dict.Items.Count)
            {
                onPath.Remove(dict);
                continue;
            }
            stack.Push((dict, prefix, next + 1));
            if (++visited > MaxEntries)
                throw new SlsInputException(source, $"pickle's dicts hold more than {MaxEntries} entries (counting shared ones each time they are "
                    + $"reached); a checkpoint holds far fewer (refusing to go on)");
            var (k, v) = dict.Items[next];
            string name = prefix + Convert.ToString(k, System.Globalization.CultureInfo.InvariantCulture);
            if (v is TensorRef t)
            {
                yield return (name, t);
            }
            else if (v is PickleObject o)
            {
                throw new SlsInputException(source, $"state dict entry '{name}' is a {o.Type} object, not a tensor; only tensors (and nested dicts "
                    + $"of them) are read from a state dict");
            }
            else if (v is PickleDict inner)
            {
                if (!onPath.Add(inner))
                    throw new SlsInputException(source, $"pickle's dict '{name}' contains itself (through the memo); a state dict cannot");
                if (stack.Count >= MaxDepth)
                    throw new SlsInputException(source, $"pickle nests dicts more than {MaxDepth} deep; a state dict nests a few levels (refusing "
                        + $"to go on)");
                stack.Push((inner, name + ".", 0));
            }
        }
    }
}
