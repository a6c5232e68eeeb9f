using SlsPrune.Core.IO;

namespace SlsPrune.Core.Batch;

/// <summary>Where <c>sls report</c> may write: its outputs (<c>--out</c>, <c>--summary-md</c>, <c>--junit</c>) are none of
/// what it reads (the results folder's files, the <c>--manifest</c> given), not in the folders it reads whole (the results
/// folder's <c>results/</c> and <c>batches/</c>: a new file there would be read by the next report), and not one path twice.</summary>
public static class ReportOutputs
{
    /// <param name="folder">the results folder read.</param>
    /// <param name="manifest">the manifest given, if any.</param>
    /// <exception cref="SlsInputException">naming the output at fault.</exception>
    public static void Check(string folder, string? manifest, IReadOnlyList<OutputTarget> outputs)
    {
        foreach (var o in outputs)
        {
            OutputPath.CheckFile(o.Path, o.Option, folder, manifest);
            OutputPath.CheckOutside(o.Path, o.Option, BatchRunner.ResultsFolder(folder), "the results folder's results/");
            OutputPath.CheckOutside(o.Path, o.Option, BatchRecord.Folder(folder), "the results folder's batches/");
        }
        OutputPath.CheckDistinct(outputs);
    }
}
