using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Core.Export;

/// <summary>One output format of <c>sls export</c>: it writes a built (pruned, possibly merged) model and the
/// metadata that describes it to a stream. A new format is one file and one line in <see cref="ExportFormats.All"/>.</summary>
public interface IExportFormat
{
    /// <summary>The name given to <c>--format</c>.</summary>
    string Name { get; }

    /// <summary>The usual file extension (with the dot).</summary>
    string Extension { get; }

    /// <summary>Checks what the format cannot write before anything is built or written.</summary>
    /// <exception cref="SlsInputException">naming the option or file at fault.</exception>
    void Check(ExportOptions options) { }

    /// <param name="model">built in float32 on the CPU.</param>
    /// <param name="precision">the precision to store.</param>
    void Write(BuiltModel model, Precision precision, IReadOnlyDictionary<string, string> metadata, Stream output);
}
