namespace SlsPrune.Core;

/// <summary>Text taken from a file, made safe to print: every control character (ESC and the other C0 and C1
/// controls, newlines included) is written as <c>\xNN</c>, so a file can neither drive the terminal nor break
/// a line of output in two.</summary>
public static class Printable
{
    public static string Escape(string s) =>
        s.Any(char.IsControl) ? string.Concat(s.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString())) : s;
}
