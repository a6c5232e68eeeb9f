namespace SlsPrune.Core.Checkpoints.Pickle;

/// <summary>A <c>module.name</c> a pickle refers to (only allowlisted ones are ever produced).</summary>
public sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A tuple (kept apart from lists, as in Python).</summary>
public sealed record PickleTuple(IReadOnlyList<object?> Items);

/// <summary>A dict in insertion order (keys may be strings, ints or tuples).</summary>
public sealed class PickleDict
{
    public List<KeyValuePair<object?, object?>> Items { get; } = [];
}

/// <summary>A storage the pickle points at through a persistent id: <c>('storage', torch.FloatStorage, key, location, numel)</c>.</summary>
public sealed record StorageRef(TensorDType DType, string Key, string Location, long ElementCount);

/// <summary>A tensor view of a storage, as <c>torch._utils._rebuild_tensor_v2</c> describes it.</summary>
public sealed record TensorRef(StorageRef Storage, long Offset, long[] Shape, long[] Stride);

/// <summary>An instance of an inert class (<see cref="RestrictedUnpickler.InertClasses"/>, such as the
/// <c>argparse.Namespace</c> of a training script's arguments): a placeholder holding its type and the state the pickle
/// gave it, never constructed, called or imported. A state dict may not hold one.</summary>
public sealed class PickleObject(PickleGlobal type)
{
    public PickleGlobal Type { get; } = type;

    /// <summary>The state BUILD gave it (a dict, or null), kept as data and never applied.</summary>
    public object? State { get; set; }
}
