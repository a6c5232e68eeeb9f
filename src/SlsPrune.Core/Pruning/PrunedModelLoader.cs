using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Inspection;
using SlsPrune.Core.Models.Vit;
using SlsPrune.Core.Models;
using TorchSharp;

namespace SlsPrune.Core.Pruning;

/// <summary>The runtime loader: backbone + PETL + index to the pruned model. It checks the index against the
/// files (SHA-256 of both, and the backbone's depth) and builds only the kept blocks at their kept widths, never
/// reading the pruned blocks' weights. <paramref name="allowMismatch"/> skips the hash check (the depth must still fit).</summary>
public static class PrunedModelLoader
{
    public static (LoadedModel Model, PruningIndex Index) Load(ModelOptions options, string indexPath, torch.Device? device, bool allowMismatch = false)
    {
        var index = PruningIndex.Load(indexPath);
        if (options.Petl is null) throw new SlsInputException(indexPath, "a pruned model needs its PETL file (--petl)");
        if (!allowMismatch)
        {
            Check(indexPath, "backbone", options.Backbone, index.Backbone);
            Check(indexPath, "PETL", options.Petl, index.Petl);
        }
        int depth;
        using (var backbone = CheckpointFile.Open(options.Backbone))
            depth = VitConfigInference.CountBlocks(StateDictReader.TimmShapes(backbone).Keys);
        if (depth != index.Depth)
            throw new SlsInputException(indexPath, $"index is for a {index.Depth}-block model but {options.Backbone} has {depth} blocks");
        return (PetlModelLoader.Load(options, device, index.ToPlan(), planSource: indexPath), index);
    }

    private static void Check(string indexPath, string what, string file, FileFingerprint expected)
    {
        string actual = InspectRunner.Sha256(file);
        if (!string.Equals(actual, expected.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new SlsInputException(indexPath, $"index was computed for a different {what} file (SHA-256 {expected.Sha256[..12]}..., {file} has {actual[..12]}...); pass --allow-mismatch to use it anyway");
    }
}
