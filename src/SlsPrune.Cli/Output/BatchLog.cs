using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace SlsPrune.Cli.Output;

/// <summary><c>sls batch --log-file</c>: the batch's progress lines (tasks and stages started, done with their seconds,
/// failed with the error) as a plain log for CI, one timestamped line each, appended to the file (a resumed run adds to
/// the log of the run before). The file is opened with the first line, that is after the checks a run makes before its
/// first task, so a refused run creates nothing.</summary>
public sealed class BatchLog(string? path) : IDisposable
{
    private Logger? _logger;

    public void Write(string line)
    {
        if (path is null) return;
        _logger ??= new LoggerConfiguration()
            .MinimumLevel.Information()
            .WriteTo.File(path, outputTemplate: "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} {Level:u3} {Line:l}{NewLine}",
                formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            .CreateLogger();
        _logger.Write(LevelOf(line), "{Line:l}", line);
    }

    /// <summary>A task or stage that failed is an error, a warning a warning, the rest information.</summary>
    public static LogEventLevel LevelOf(string line) => line.Contains(": failed", StringComparison.Ordinal) ? LogEventLevel.Error
        : line.Contains(": warning: ", StringComparison.Ordinal) ? LogEventLevel.Warning
        : LogEventLevel.Information;

    public void Dispose() => _logger?.Dispose();
}
