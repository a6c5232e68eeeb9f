using TorchSharp;

namespace SlsPrune.Core.Checkpoints;

/// <summary>An opened checkpoint file: its tensors' names, types and shapes are known at once; data is read
/// only for the tensors asked for.</summary>
public interface ICheckpoint : IDisposable
{
    string Path { get; }

    CheckpointFormat Format { get; }

    /// <summary>Tensors in file order, with the file's own names (Google names for .npz).</summary>
    IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>String metadata (safetensors <c>__metadata__</c>; scalar entries beside a PyTorch state dict).</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads one tensor onto the CPU.</summary>
    torch.Tensor Read(string name);
}

public enum CheckpointFormat
{
    Safetensors,
    PyTorchZip,
    NumpyNpz,
}
