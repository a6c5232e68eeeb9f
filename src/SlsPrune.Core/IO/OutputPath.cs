namespace SlsPrune.Core;

/// <summary>Checks made on an output path before anything is read or written: an output file must not be an existing
/// folder nor, through any link, one of the inputs; an output folder must not be an existing file.</summary>
public static class OutputPath
{
    /// <param name="option">the option that named the output (<c>--out</c>), named in the error.</param>
    /// <param name="inputs">the files and folders the run reads (null entries are skipped).</param>
    /// <exception cref="SlsInputException">naming the option and the path.</exception>
    public static void CheckFile(string path, string option, params string?[] inputs)
    {
        if (Directory.Exists(path)) throw new SlsInputException(option, $"{Printable.Escape(path)} is a folder; give a file path");
        if (!File.Exists(path)) return;
        string real = RealPath.Resolve(path);
        foreach (var input in inputs.OfType<string>())
            if ((File.Exists(input) || Directory.Exists(input)) && Same(RealPath.Resolve(input), real))
                throw new SlsInputException(option, $"{Printable.Escape(path)} is one of the input files; choose another output path");
    }

    /// <summary>An output folder (<c>--plots</c>): refused when the path is an existing file.</summary>
    public static void CheckFolder(string path, string option)
    {
        if (File.Exists(path)) throw new SlsInputException(option, $"{Printable.Escape(path)} is a file; give a folder for the output");
    }

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.Ordinal);
}
