namespace SlsPrune.Core.Batch;

/// <summary>A format <c>sls report</c> writes a results folder in (<see cref="ReportFormats.All"/>).</summary>
public interface IReportFormat
{
    /// <summary>The value of <c>--format</c>.</summary>
    string Name { get; }

    /// <summary>A few words for the help after the name (null: none).</summary>
    string? Note { get; }

    /// <summary>The report of the folder <c>sls batch --out</c> wrote, and what it lacks of the tasks
    /// <paramref name="expected"/> lists (null where nothing says what it should hold).</summary>
    /// <exception cref="SlsInputException">when the folder holds no results and nothing says what it should hold.</exception>
    ReportText Write(string folder, Expected? expected);
}

/// <summary>A report's text and the folder's <see cref="Batch.Completeness"/> (null: nothing says what it should hold).</summary>
public sealed record ReportText(string Text, Completeness? Completeness);
