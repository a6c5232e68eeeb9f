namespace SlsPrune.Core;

/// <summary>Bad usage or bad input: the command line reports it as one line and exits with code 2.
/// <see cref="Subject"/> names the file (or option) at fault. Control characters (text a hostile file put into
/// the problem) are escaped, so the message stays one printable line.</summary>
public sealed class SlsInputException : Exception
{
    public SlsInputException(string source, string problem) : base($"{OneLine(source)}: {OneLine(problem)}")
    {
        Subject = source;
        Problem = OneLine(problem);
    }

    private static string OneLine(string s) => Printable.Escape(s);

    public SlsInputException() { Subject = ""; Problem = ""; }
    public SlsInputException(string message) : base(message) { Subject = ""; Problem = message; }
    public SlsInputException(string message, Exception inner) : base(message, inner) { Subject = ""; Problem = message; }

    /// <summary>The file or option the problem is in.</summary>
    public string Subject { get; }

    /// <summary>What is wrong, without the subject.</summary>
    public string Problem { get; }
}
