namespace SlsPrune.Core;

/// <summary>Bad usage or bad input: the command line reports it as one line and exits with code 2.
/// <see cref="Source"/> names the file (or option) at fault.</summary>
public sealed class SlsInputException : Exception
{
    public SlsInputException(string source, string problem) : base($"{source}: {problem}")
    {
        Subject = source;
        Problem = problem;
    }

    public SlsInputException() { Subject = ""; Problem = ""; }
    public SlsInputException(string message) : base(message) { Subject = ""; Problem = message; }
    public SlsInputException(string message, Exception inner) : base(message, inner) { Subject = ""; Problem = message; }

    /// <summary>The file or option the problem is in.</summary>
    public string Subject { get; }

    /// <summary>What is wrong, without the subject.</summary>
    public string Problem { get; }
}
