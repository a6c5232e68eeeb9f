using System.CommandLine;
using System.Globalization;
using SlsPrune.Cli.Output;
using SlsPrune.Core;
using SlsPrune.Core.Runtime;
using SlsPrune.Core.Training;
using SlsPrune.Core.Training.Upstream;
using Spectre.Console;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls pretrain --upstream FILE --out backbone.safetensors [--width 192 --depth 8 ...]</c></summary>
public static class PretrainCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var upstream = new Option<FileInfo>("--upstream")
        {
            Description = "Upstream set (sls data fashion-mnist: upstream/train.safetensors)",
            Required = true
        }.AcceptExistingOnly();
        var output = new Option<FileInfo>("--out")
        {
            Description = "Backbone to write", DefaultValueFactory = _ => new FileInfo(PretrainOptions.Defaults.Out)
        };
        var d = PretrainOptions.Defaults;
        var image = new Option<int>("--image-size") { DefaultValueFactory = _ => d.ImageSize, Description = "Input size" };
        var patch = new Option<int>("--patch") { DefaultValueFactory = _ => d.PatchSize, Description = "Patch size" };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => d.Width, Description = "Embedding width" };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => d.Epochs, Description = "Epochs" };
        var warmup = new Option<int>("--warmup-steps")
        {
            DefaultValueFactory = _ => d.WarmupSteps, Description = "Steps of linear warm-up before the cosine"
        };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => d.Lr, Description = "Peak learning rate" };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => d.BatchSize, Description = "Batch size" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => d.Seed, Description = "Seed" };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N images" };
        var shape = new ShapeOptionSet(d.Family);
        var augment = new Option<string>("--augment")
        {
            DefaultValueFactory = _ => d.Augment, Description = "Upstream augmentation, every epoch: "
            + string.Join("; ", UpstreamAugmentations.All.Select(a => $"{a.Name} ({a.Description})"))
        };
        augment.AcceptOnlyFromAmong(UpstreamAugmentations.All.Select(a => a.Name).ToArray());
        var device = new Option<string>("--device") { DefaultValueFactory = _ => d.Device, Description = "auto, cpu or cuda" };
        device.AcceptOnlyFromAmong(DeviceSelector.Choices);
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };
        var cmd = new Command("pretrain", "Train a small ViT or Swin backbone from scratch on an upstream set (for the shipped models)");
        foreach (var o in new Option[] { upstream, output, image, patch, width }) cmd.Options.Add(o);
        shape.AddTo(cmd);
        foreach (var o in new Option[] { augment, epochs, warmup, lr, batch, seed, limit, device, json }) cmd.Options.Add(o);
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            var o = new PretrainOptions(parse.GetValue(upstream)!.FullName, parse.GetValue(output)!.FullName, parse.GetValue(image),
                parse.GetValue(patch),
                parse.GetValue(width), parse.GetValue(epochs),
                WarmupSteps: parse.GetValue(warmup), Lr: parse.GetValue(lr), BatchSize: parse.GetValue(batch), Seed: parse.GetValue(seed),
                    Limit: parse.GetValue(limit), Device: parse.GetValue(device)!,
                Family: parse.GetValue(shape.Family)!, Shape: shape.Read(parse), Augment: parse.GetValue(augment)!);
            var result = BackbonePretrainer.Run(o, new Lines(ctx.Err), cancellationToken);
            if (parse.GetValue(json)) Json.Write(ctx.Out, result);
            else ctx.Console.MarkupLine($"Backbone ({Plural.Of(result.Images, "image")}, {Plural.Of(result.History.Count, "epoch")}, "
                + $"{result.Seconds:F0} s) in [bold]{Markup.Escape(result.Out)}[/]");
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }

    private sealed class Lines(TextWriter err) : IProgress<EpochReport>
    {
        public void Report(EpochReport r) => err.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sls: pretrain: epoch {r.Epoch}/{r.Epochs} lr {r.Lr:G3} loss {r.Loss:F4} train accuracy {r.Accuracy * 100:F2}%"));
    }
}
