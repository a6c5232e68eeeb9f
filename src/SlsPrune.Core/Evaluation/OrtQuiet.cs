using Microsoft.ML.OnnxRuntime;

namespace SlsPrune.Core.Evaluation;

/// <summary>
/// ONNX Runtime's own log kept off the terminal: by default its environment writes warnings (an unused initializer,
/// thread affinity) to stderr with colour codes, beside <c>sls</c>'s one-line messages. The environment is created
/// once, before the first session, with a logging function that drops everything (what goes wrong reaches
/// <c>sls</c> as an exception); sessions log only errors.
/// </summary>
internal static class OrtQuiet
{
    private static readonly Lock Gate = new();

    /// <summary>Kept alive for as long as the process: native code calls it.</summary>
    private static DOrtLoggingFunction? _sink;

    public const OrtLoggingLevel SessionLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;

    public static void Ensure()
    {
        lock (Gate)
        {
            if (_sink is not null) return;
            _sink = Drop;
            if (OrtEnv.IsCreated)
            {
                OrtEnv.Instance().EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
                return;
            }
            var options = new EnvironmentCreationOptions
            {
                logId = "sls",
                logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
                loggingFunction = _sink,
            };
            OrtEnv.CreateInstanceWithOptions(ref options);
        }
    }

    private static void Drop(IntPtr param, OrtLoggingLevel severity, string category, string logId, string codeLocation, string message)
    {
    }
}
