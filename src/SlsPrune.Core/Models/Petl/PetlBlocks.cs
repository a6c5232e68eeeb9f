using System.Globalization;
using SlsPrune.Core.Checkpoints;

namespace SlsPrune.Core.Models.Petl;

/// <summary>Whether a PETL file's blocks fit a backbone's: every block it names is one of the backbone's (a plan drops
/// the weights of blocks it does not keep unread, so adapters for a block past the last would otherwise vanish
/// silently), and the depth its metadata records (<c>sls train</c> writes it) is the backbone's, or fewer for a file
/// written for a pruned model, which needs the index it was written with.</summary>
public static class PetlBlocks
{
    /// <param name="source">the PETL file, named in errors.</param>
    /// <param name="depth">the backbone's blocks.</param>
    /// <param name="indexGiven">whether a pruning index says which blocks a file of fewer blocks is for (null: not asked,
    /// as <c>sls inspect</c>, which builds no model).</param>
    public static void Check(IReadOnlyDictionary<string, long[]> shapes, IReadOnlyDictionary<string, string> metadata, string source, int depth,
        bool? indexGiven)
    {
        int last = shapes.Keys.Select(BlockKey.Parse).Where(b => b is not null).Select(b => b!.Value.Block).DefaultIfEmpty(-1).Max();
        if (last >= depth)
            throw new SlsInputException(source, $"holds weights for block {last}, but the backbone has {depth} blocks (0..{depth - 1}): it was "
                + "written for another backbone");
        if (!metadata.TryGetValue("depth", out var text)) return;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int recorded) || recorded < 1)
            throw new SlsInputException(source, $"metadata depth '{Printable.Escape(text)}' is not a positive integer");
        if (recorded > depth)
            throw new SlsInputException(source, $"was written for a backbone of {recorded} blocks (its metadata says depth {recorded}), but the "
                + $"backbone has {depth}");
        if (indexGiven == false && recorded < depth)
            throw new SlsInputException(source, $"holds adapters for a pruned model of {recorded} of the backbone's {depth} blocks (its metadata "
                + $"says depth {recorded}; aglp and retraining after pruning write such files): pass the pruning index written with it (--index)");
    }
}
