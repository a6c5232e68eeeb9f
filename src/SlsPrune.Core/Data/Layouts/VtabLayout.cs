namespace SlsPrune.Core.Data.Layouts;

/// <summary>A VTAB-1k task folder (<see cref="VtabTask"/>): a folder with one of the standard split lists or a
/// <c>task.json</c>.</summary>
public sealed class VtabLayout : IDataLayout
{
    public string Name => "vtab";

    public string Description => "VTAB-1k task folder (train800.txt, val200.txt, train800val200.txt, test.txt)";

    public bool Detect(string path) =>
        Directory.Exists(path) && (VtabTask.Splits.Any(s => File.Exists(Path.Combine(path, s + ".txt"))) || File.Exists(Path.Combine(path,
            "task.json")));

    public IDataSource Open(string path, DataOptions options) => VtabTask.Open(path, options);
}
