using System.CommandLine;
using System.Runtime.InteropServices;
using Serilog;
using Serilog.Events;
using SlsPrune.Cli.Commands;
using SlsPrune.Core;
using SlsPrune.Core.Runtime;
using Spectre.Console;

namespace SlsPrune.Cli;

/// <summary>Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad input, 3 incomplete (<c>sls report</c>: tasks
/// missing or failed), 130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    public const int Incomplete = 3;
    public const int Interrupted = 130;
    public const int Terminated = 143;

    /// <summary>Every exit code and what it means: the table in docs/troubleshooting.md and docs/cli.md (<c>sls docs cli</c>).</summary>
    public static readonly IReadOnlyList<(int Code, string Meaning)> All = [
        (Success, "success"),
        (Failure, "runtime failure (one line `sls: error: ...` on stderr); `sls batch`: some task failed"),
        (BadInput, "bad usage or bad input: a mistyped command, option or value (with the nearest names), a missing or unreadable file; one line "
            + "`sls: FILE: problem` on stderr"),
        (Incomplete, "incomplete: `sls report` over a results folder where a task of the manifest is missing or failed"),
        (Interrupted, "interrupted (SIGINT, Ctrl-C): stopped at the next batch or t-SNE iteration, nothing half-written left"),
        (Terminated, "terminated (SIGTERM): as 130"),
    ];

    /// <summary>The exit codes as a Markdown table.</summary>
    public static string Table() => "| exit code | meaning |\n|---|---|\n" + string.Concat(All.Select(e => $"| `{e.Code}` | {e.Meaning} |\n"));
}

/// <summary>Where a command writes: machine output (stdout), human output, and errors.</summary>
public sealed record CliContext(TextWriter Out, TextWriter Err, IAnsiConsole Console, bool Verbose);

/// <summary>The <c>sls</c> root command: parses, dispatches to a command, and maps failures to exit codes
/// (one clear line on stderr; the stack only with <c>--verbose</c>).</summary>
public static class SlsCli
{
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Debug logging and stack traces on failure", Recursive = true };

    public static readonly Option<int?> Threads = new(ThreadBudget.Option)
    {
        Description = "Threads to compute on (libtorch's and the tool's own); default: SLURM_CPUS_PER_TASK, SLURM_JOB_CPUS_PER_NODE or "
            + "OMP_NUM_THREADS where set, else every processor",
        Recursive = true,
    };

    public static RootCommand Build(Func<CliContext> context)
    {
        var root = new RootCommand("sls: prune parameter-efficiently tuned Vision Transformers layer-wise (SLS: t-SNE + silhouette)");
        root.Options.Add(Verbose);
        root.Options.Add(Threads);
        // --version prints SlsVersion (Directory.Build.props), not the entry assembly's: the same in-process (tests) as installed
        foreach (var v in root.Options.OfType<VersionOption>()) v.Action = new PrintVersion();
        root.Subcommands.Add(InspectCommand.Create(context));
        root.Subcommands.Add(DataCommand.Create(context));
        root.Subcommands.Add(PruneCommand.Create(context));
        root.Subcommands.Add(EvalCommand.Create(context));
        root.Subcommands.Add(ExportCommand.Create(context));
        root.Subcommands.Add(TrainCommand.Create(context));
        root.Subcommands.Add(PretrainCommand.Create(context));
        root.Subcommands.Add(BatchCommand.Create(context));
        root.Subcommands.Add(ReportCommand.Create(context));
        root.Subcommands.Add(DocsCommand.Create(context));
        return root;
    }

    private sealed class PrintVersion : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(SlsVersion.Current);
            return ExitCodes.Success;
        }
    }

    /// <summary>Columns of output that is not a terminal: wide enough that no line of a table, path or hash wraps.</summary>
    private const int RedirectedWidth = 4096;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        bool verbose = args.Contains("--verbose");
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            // piped or captured output (not a terminal, whose width and colours Spectre reads off Console.Out): without
            // the spaces a grid pads its last column with
            Out = new AnsiConsoleOutput(stdout == Console.Out && !Console.IsOutputRedirected ? stdout : new Output.TrailingSpaceTrimmer(stdout)),
            Ansi = stdout == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = stdout == Console.Out && !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Piped or redirected output is read by programs and people copying paths and hashes: no wrapping at 80 columns.
        if (stdout != Console.Out || Console.IsOutputRedirected) console.Profile.Width = RedirectedWidth;
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? LogEventLevel.Debug : LogEventLevel.Warning)
            .WriteTo.Console(outputTemplate: "{Level:u3} {Message:lj}{NewLine}{Exception}",
                formatProvider: System.Globalization.CultureInfo.InvariantCulture,
                standardErrorFromLevel: LogEventLevel.Verbose)
            .CreateLogger();
        var ctx = new CliContext(stdout, stderr, console, verbose);
        var root = Build(() => ctx);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One clear line: an unknown word with the nearest names ("did you mean"), else the first problem (later
            // ones are usually consequences of it).
            string message = Suggestions.Explain(parse)
                ?? PlainTypes(string.Join(' ', parse.Errors[0].Message.Split(['\n', '\r', '\t'],
                    StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
            // the parser's messages quote what was typed (a path, a word): its control bytes are escaped as every file's text is
            await stderr.WriteLineAsync($"sls: {Printable.Escape(message)} (run 'sls --help' for usage)").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }
        // SIGINT and SIGTERM cancel the command's token: runners stop at the next batch or iteration, writers remove
        // their temporary files, and the exit code says which signal it was.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        int signalExit = 0;
        void OnSignal(PosixSignalContext c)
        {
            c.Cancel = true;
            signalExit = c.Signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;
            stop.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            if (NativeBackend.LoadFromEnvironment() is string libtorch) Log.Debug("libtorch from {Dir} ({Variable})", libtorch,
                NativeBackend.Variable);
            var threads = ThreadBudget.Choose(parse.GetValue(Threads), Environment.GetEnvironmentVariable, Environment.ProcessorCount);
            ThreadBudget.Use(threads);
            Log.Debug("{Threads} threads (from {From})", threads.Threads, threads.From);
            if (verbose) Log.Debug("malloc: {Malloc}", MallocSettings.Describe());
            int code = await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null
            }, stop.Token).ConfigureAwait(false);
            return signalExit != 0 ? await Stopped(stderr, signalExit).ConfigureAwait(false) : code;
        }
        catch (SlsInputException e)
        {
            await stderr.WriteLineAsync($"sls: {e.Message}").ConfigureAwait(false);
            if (verbose) await stderr.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            return ExitCodes.BadInput;
        }
        catch (TypeInitializationException e) when (e.TypeName == "TorchSharp.torch")
        {
            await stderr.WriteLineAsync($"sls: error: libtorch could not be loaded (a build without a libtorch package needs "
                + $"{NativeBackend.Variable} set to PyTorch's torch/lib; see docs/user-guide.md, \"CUDA\"); --verbose shows TorchSharp's trace")
                    .ConfigureAwait(false);
            if (verbose) await stderr.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (signalExit != 0)
        {
            return await Stopped(stderr, signalExit).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("sls: cancelled").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            await stderr.WriteLineAsync($"sls: error: {e.Message}").ConfigureAwait(false);
            if (verbose) await stderr.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        finally
        {
            // the process's peak resident memory, for the memory bounds the tests measure (BombMemoryTests)
            if (verbose && PeakMemoryKilobytes() is long peak) Log.Debug("peak memory (VmHWM): {Kilobytes} kB", peak);
            await Log.CloseAndFlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>VmHWM from /proc/self/status (Linux), or null.</summary>
    public static long? PeakMemoryKilobytes()
    {
        try
        {
            var line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:",
                StringComparison.Ordinal)) : null;
            return line is not null && long.TryParse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(),
                System.Globalization.CultureInfo.InvariantCulture, out long kb) ? kb : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task<int> Stopped(TextWriter stderr, int code)
    {
        await stderr.WriteLineAsync(code == ExitCodes.Terminated ? "sls: terminated (SIGTERM); nothing half-written was left"
            : "sls: interrupted (SIGINT); nothing half-written was left").ConfigureAwait(false);
        return code;
    }

    /// <summary>A parse error in words, not .NET type names: "Cannot parse argument 'x' for option '--seed' as expected
    /// type 'System.Int32'." becomes "'x' is not an integer from -2147483648 to 2147483647 for --seed".</summary>
    internal static string PlainTypes(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message,
            @"^Cannot parse argument '(.*)' for (?:option|argument) '(.*)' as expected type '([\w.`\[\]]+)'\.?$");
        if (!m.Success) return message;
        string type = System.Text.RegularExpressions.Regex.Replace(m.Groups[3].Value, @"^System\.Nullable`1\[(.*)\]$", "$1");
        string kind = type switch
        {
            "System.Int32" => "an integer from -2147483648 to 2147483647",
            "System.Int64" => "an integer",
            "System.Double" or "System.Single" => "a number",
            "System.Boolean" => "true or false",
            _ => "a value of the kind it takes",
        };
        return $"'{Printable.Escape(m.Groups[1].Value)}' is not {kind} for {m.Groups[2].Value}";
    }
}
