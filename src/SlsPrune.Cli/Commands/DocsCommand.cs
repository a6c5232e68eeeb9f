using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core;
using SlsPrune.Core.IO;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls docs cli [--out FILE]</c>: the command-line reference (docs/cli.md) from the command tree.</summary>
public static class DocsCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var output = new Option<string>("--out") { Description = "Write the reference to this file (atomically) instead of stdout" };
        var cli = new Command("cli", "Markdown reference of every command and option (names, descriptions, defaults, allowed values), as "
            + "docs/cli.md") { output };
        cli.SetAction(parse =>
        {
            var ctx = context();
            string text = CliReference.Build((RootCommand)parse.RootCommandResult.Command);
            if (parse.GetValue(output) is not { } file) ctx.Out.Write(text);
            else
            {
                OutputPath.CheckFile(file, "--out");
                byte[] bytes = new System.Text.UTF8Encoding(false).GetBytes(text);
                AtomicFile.Write(file, s => s.Write(bytes));
                ctx.Err.WriteLine($"sls: docs: wrote {Path.GetFullPath(file)}");
            }
            return Task.FromResult(ExitCodes.Success);
        });
        return new Command("docs", "Documentation generated from the code") { cli };
    }
}
