using System.Text;

namespace SlsPrune.Cli.Output;

/// <summary>A writer that drops spaces at the end of every line: Spectre.Console pads a grid's last column to its width,
/// which left trailing spaces on every line of <c>sls inspect</c> and <c>sls eval</c>. Only spaces are held back (until
/// the next other character), so nothing else is delayed or reordered.</summary>
public sealed class TrailingSpaceTrimmer(TextWriter inner) : TextWriter
{
    private int _spaces;

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        if (value == ' ')
        {
            _spaces++;
            return;
        }
        if (value is not ('\n' or '\r') && _spaces > 0) inner.Write(new string(' ', _spaces));
        _spaces = 0;
        inner.Write(value);
    }

    public override void Write(string? value)
    {
        foreach (char c in value ?? "") Write(c);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        for (int i = index; i < index + count; i++) Write(buffer[i]);
    }

    public override void Flush() => inner.Flush();
}
