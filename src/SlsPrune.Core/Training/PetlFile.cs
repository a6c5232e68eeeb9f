using System.Globalization;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Models.Petl;
using static TorchSharp.torch;

namespace SlsPrune.Core.Training;

/// <summary>A PETL file as <c>sls</c> writes it: the task tensors (named by block as in the full backbone) and the
/// metadata that says how to build them (<c>petl_method</c>, <c>petl_dim</c>, <c>petl_scale</c>, <c>petl_groups</c>)
/// and where they came from.</summary>
public static class PetlFile
{
    public const string Format = "slsprune-petl/1";

    /// <param name="provenance">further metadata (epoch, accuracy, split, backbone hash).</param>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, PetlSettings petl, int classes, int depth,
        IReadOnlyDictionary<string, string> provenance)
    {
        var inv = CultureInfo.InvariantCulture;
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["petl_method"] = petl.Method.Name,
            ["petl_dim"] = petl.HiddenDim.ToString(inv),
            ["petl_scale"] = petl.Scale.ToString("R", inv),
            ["petl_groups"] = petl.Groups.ToString(inv),
            ["num_classes"] = classes.ToString(inv),
            ["depth"] = depth.ToString(inv),
        };
        foreach (var (k, v) in provenance) metadata[k] = v;
        SafetensorsWriter.Write(path, tensors, metadata);
    }
}
