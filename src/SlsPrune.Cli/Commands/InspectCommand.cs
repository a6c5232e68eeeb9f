using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core.Inspection;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls inspect &lt;checkpoint&gt; [--petl FILE] [--heads N] [--json]</c></summary>
public static class InspectCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var checkpoint = new Argument<FileSystemInfo>("checkpoint")
        {
            Description = "Backbone or PETL checkpoint (.safetensors, .pt/.pth, .npz), or a Hugging Face folder"
        }.AcceptExistingOnly();
        var petl = new Option<FileInfo>("--petl") { Description = "PETL weights that go with the backbone" }.AcceptExistingOnly();
        var heads = new Option<int?>("--heads") { Description = "Attention heads, where the width is not in the variants table" };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };
        var cmd = new Command("inspect", "Format, architecture, parameter counts, dtypes, PETL method and SHA-256 of a checkpoint")
        {
            checkpoint, petl, heads, json,
        };
        heads.Validators.Add(r =>
        {
            if (r.TryParsed<int?>(out var parsed) && parsed is int h && h <= 0) r.AddError("--heads must be positive");
        });
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            var report = InspectRunner.Run(new InspectOptions(parse.GetValue(checkpoint)!.FullName, parse.GetValue(petl)?.FullName,
                parse.GetValue(heads)));
            if (parse.GetValue(json)) Json.Write(ctx.Out, report);
            else InspectView.Render(ctx.Console, report);
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }
}
