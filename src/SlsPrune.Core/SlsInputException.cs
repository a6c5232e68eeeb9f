namespace SlsPrune.Core;

/// <summary>Bad usage or bad input: the command line reports it as one line and exits with code 2.
/// <see cref="Subject"/> names the file (or option) at fault. Control characters (text a hostile file put into
/// the problem) are escaped, so the message stays one printable line.</summary>
public sealed class SlsInputException : Exception
{
    /// <summary>The usual constructor: <paramref name="source"/> is the file, folder or option at fault (<c>--data</c>, a
    /// path as the user gave it) and <paramref name="problem"/> what is wrong with it; the message is
    /// <c>SOURCE: PROBLEM</c>, control characters escaped and absurdly long parts shortened to their ends.</summary>
    public SlsInputException(string source, string problem) : base($"{Short(OneLine(source), 512)}: {Short(OneLine(problem), 1024)}")
    {
        Subject = source;
        Problem = OneLine(problem);
    }

    private static string OneLine(string s) => Printable.Escape(s);

    /// <summary>Text of absurd length (a 100,000-character path from a CSV row) is shown by its ends, so the line stays
    /// one a person can read.</summary>
    private static string Short(string s, int most) => s.Length <= most ? s : $"{s[..(most / 2)]}...({s.Length - most / 2 - most / 4} "
        + $"characters)...{s[^(most / 4)..]}";

    /// <summary>An exception with no subject and no problem (the standard constructor; the library itself always names the subject).</summary>
    public SlsInputException() { Subject = ""; Problem = ""; }
    /// <summary>An exception whose whole message is <paramref name="message"/> (no subject; <see cref="Problem"/> is the message).</summary>
    public SlsInputException(string message) : base(message) { Subject = ""; Problem = message; }
    /// <summary>As <see cref="SlsInputException(string)"/>, wrapping the exception <paramref name="inner"/> that revealed the problem.</summary>
    public SlsInputException(string message, Exception inner) : base(message, inner) { Subject = ""; Problem = message; }

    /// <summary>The file or option the problem is in.</summary>
    public string Subject { get; }

    /// <summary>What is wrong, without the subject.</summary>
    public string Problem { get; }
}
