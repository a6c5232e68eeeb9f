using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core.Export;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls export --backbone F [--petl F] [--index F] --format safetensors|onnx --out FILE [--precision fp32|fp16] [--merge]</c></summary>
public static class ExportCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var model = new ModelOptionSet();
        var index = new Option<FileInfo>("--index") { Description = "Pruning index: export only the kept blocks (and widths)" };
        index.AcceptExistingOnly();
        var format = new Option<string>("--format")
        {
            Description = "safetensors (a standalone checkpoint) or onnx (for ONNX Runtime)", Required = true
        };
        format.AcceptOnlyFromAmong([.. ExportFormats.All.Select(f => f.Name)]);
        // the one wording of the export precisions: what each format stores (OnnxExport.Check refuses bf16)
        model.Precision.Description = "Stored weights: fp32, fp16, or bf16 (safetensors only; ONNX stores fp32 or fp16)";
        var output = new Option<FileInfo>("--out") { Description = "File to write (atomically)", Required = true };
        var merge = new Option<bool>("--merge") { Description = "Fold adapters into the backbone weights where exact (RepAdapter, LoRA, SPLoRA)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };
        var cmd = new Command("export", "Write the (pruned) model as a standalone safetensors checkpoint or an ONNX file for ONNX Runtime");
        model.AddTo(cmd);
        foreach (var o in new Option[] { index, format, output, merge, json }) cmd.Options.Add(o);
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            var options = new ExportOptions(model.Read(parse) with { Merge = parse.GetValue(merge) }, parse.GetValue(format)!,
                parse.GetValue(output)!.FullName,
                parse.GetValue(index)?.FullName, parse.GetValue(model.AllowMismatch));
            ctx.Err.WriteLine($"sls: export: {options.Format} to {options.Out}");
            var r = ExportRunner.Run(options, cancellationToken);
            if (parse.GetValue(json)) Json.Write(ctx.Out, r);
            else
            {
                ctx.Out.WriteLine($"wrote {r.Path} ({r.Format}, {r.Bytes:N0} bytes, SHA-256 {r.Sha256[..12]}...)");
                ctx.Out.WriteLine($"{r.Family}: {r.Blocks} of {r.FullDepth} blocks (kept {string.Join(", ", r.KeptBlocks)}), PETL {r.Petl}"
                    + $"{(r.Merged ? " merged" : "")}, {r.Precision}, {Plural.Of(r.Classes, "class", "classes")}");
            }
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }
}
