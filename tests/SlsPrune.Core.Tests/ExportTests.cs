using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Export;
using SlsPrune.Core.IO;
using SlsPrune.Core.Runtime;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>Exports of the fixture ViT with every PETL method, depth- and width-pruned: ONNX files run by ONNX Runtime
/// and standalone safetensors rebuilt by the factory give the TorchSharp model's logits.</summary>
public class ExportTests
{
    private static readonly string[] Methods = ["linear", "convpass", "repadapter", "lora", "adaptformer", "vpt"];

    private static ModelOptions Options(string petl) => new(Fixtures.File("backbone.safetensors"), Fixtures.File($"{petl}.safetensors"), Heads: 3,
        Device: "cpu");

    private static torch.Tensor Images => Fixtures.Expected()["images"];

    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("sls-export-").FullName, name);

    private static ModelPlan Narrow(int units) => new(3, [0, 2], new Dictionary<int, BlockWidth>
    {
        [2] = new([0, 2], Enumerable.Range(0, units)
        .Where(u => u % 3 != 1).ToArray())
    });

    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var m in Methods) { data.Add(m, false); data.Add(m, true); }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Onnx_runtime_gives_the_torchsharp_logits(string method, bool widthPruned)
    {
        using var built = ModelFactory.Build(Options(method), plan: widthPruned ? Narrow(48) : ModelPlan.Full(3) with { Blocks = [0, 2] });
        string path = Temp("m.onnx");
        var r = ExportRunner.Write(built, new OnnxExport(), path);
        Assert.Equal((2, 3, method), (r.Blocks, r.FullDepth, r.Petl));

        using var _ = torch.no_grad();
        using var expected = built.Model.forward(Images);
        using var ort = OnnxRuntimeModel.Open(path);
        using var actual = ort.Forward(Images);
        Assert.Equal(expected.shape, actual.shape);
        Assert.InRange(Fixtures.RelativeError(actual, expected), 0, 1e-4);
        Assert.Equal((32, 5), (ort.Input.ImageSize, ort.NumClasses));
        Assert.Equal("1,3", ort.Metadata["kept_blocks"]);
    }

    [Theory]
    [InlineData("repadapter")]
    [InlineData("lora")]
    public void Merged_exports_fold_the_adapters_and_keep_the_logits(string method)
    {
        using var plain = ModelFactory.Build(Options(method), plan: Narrow(48));
        using var merged = ModelFactory.Build(Options(method) with { Merge = true }, plan: Narrow(48));
        Assert.True(merged.Merged);
        string onnx = Temp("m.onnx"), st = Temp("m.safetensors");
        ExportRunner.Write(merged, new OnnxExport(), onnx);
        ExportRunner.Write(merged, new SafetensorsExport(), st);

        using var _ = torch.no_grad();
        using var expected = plain.Model.forward(Images);
        using var ort = OnnxRuntimeModel.Open(onnx);
        using var a = ort.Forward(Images);
        Assert.InRange(Fixtures.RelativeError(a, expected), 0, 1e-4);
        using var reloaded = ModelFactory.Build(new ModelOptions(st, Heads: 3));
        Assert.Equal(PetlMethods.Linear, reloaded.Petl.Method);
        using var b = reloaded.Model.forward(Images);
        Assert.InRange(Fixtures.RelativeError(b, expected), 0, 1e-5);
        using var file = StateDictFile.Open(st);
        Assert.DoesNotContain(file.Shapes.Keys, k => k.Contains("lora_", StringComparison.Ordinal) || k.Contains("adapter_",
            StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("convpass")]
    [InlineData("repadapter")]
    [InlineData("lora")]
    [InlineData("adaptformer")]
    [InlineData("vpt")]
    public void A_standalone_checkpoint_rebuilds_the_pruned_model_without_petl_file_or_index(string method)
    {
        using var built = ModelFactory.Build(Options(method), plan: Narrow(48));
        string path = Temp("standalone.safetensors");
        ExportRunner.Write(built, new SafetensorsExport(), path);
        using var file = StateDictFile.Open(path);
        Assert.Equal("1,3", file.Metadata["kept_blocks"]);
        Assert.Equal(FileHash.Sha256(Fixtures.File($"{method}.safetensors")), file.Metadata["petl_sha256"]);
        Assert.Equal(2, BlockKey.CountBlocks(file.Shapes.Keys));

        using var reloaded = ModelFactory.Build(new ModelOptions(path)); // heads from the export's own metadata
        Assert.Equal(method, reloaded.Petl.Method.Name);
        Assert.Equal(2, reloaded.Model.Depth);
        using var _ = torch.no_grad();
        using var expected = built.Model.forward(Images);
        using var actual = reloaded.Model.forward(Images);
        Assert.InRange(Fixtures.RelativeError(actual, expected), 0, 1e-6);
    }

    [Fact]
    public void An_onnx_file_of_k_blocks_is_about_k_over_n_of_the_full_size_and_fp16_halves_it()
    {
        using var full = ModelFactory.Build(Options("linear"));
        using var one = ModelFactory.Build(Options("linear"), plan: ModelPlan.Leading(3, 1));
        string a = Temp("full.onnx"), b = Temp("one.onnx"), h = Temp("half.onnx");
        long fullBytes = ExportRunner.Write(full, new OnnxExport(), a).Bytes;
        long oneBytes = ExportRunner.Write(one, new OnnxExport(), b).Bytes;
        long halfBytes = ExportRunner.Write(full, new OnnxExport(), h, Precision.Fp16).Bytes;
        using var file = StateDictFile.Open(Fixtures.File("backbone.safetensors"));
        long blockBytes = 4 * file.Shapes.Where(kv => BlockKey.Parse(kv.Key) is (0, _)).Sum(kv => kv.Value.Aggregate(1L, (x, y) => x * y));
        Assert.InRange(fullBytes - oneBytes, 2 * blockBytes, 2 * blockBytes + 8192); // two blocks of weights and their few dozen nodes
        Assert.InRange((double)halfBytes / fullBytes, 0.45, 0.6);

        using var _ = torch.no_grad();
        using var expected = full.Model.forward(Images);
        using var ort = OnnxRuntimeModel.Open(h);
        using var actual = ort.Forward(Images);
        Assert.InRange(Fixtures.RelativeError(actual, expected), 0, 1e-2);
    }

    [Fact]
    public void Bad_exports_are_refused_by_name_and_leave_nothing_behind()
    {
        string dir = Directory.CreateTempSubdirectory("sls-export-bad-").FullName;
        string outPath = Path.Combine(dir, "x.onnx");
        var merge = Assert.Throws<SlsInputException>(() => ExportRunner.Run(new ExportOptions(Options("convpass") with { Merge = true }, "onnx",
            outPath)));
        Assert.Equal("--merge: convpass adapters do not fold exactly into the backbone; export without --merge to keep them as modules",
            merge.Message);
        var format = Assert.Throws<SlsInputException>(() => ExportRunner.Run(new ExportOptions(Options("linear"), "tflite", outPath)));
        Assert.StartsWith("--format: unknown format 'tflite' (known: safetensors, onnx", format.Message); // a new format adds to the list
        var bf16 = Assert.Throws<SlsInputException>(() => ExportRunner.Run(new ExportOptions(Options("linear") with { Precision = Precision.Bf16 },
            "onnx", outPath)));
        Assert.StartsWith("--precision:", bf16.Message);
        string copy = Path.Combine(dir, "petl.safetensors");
        File.Copy(Fixtures.File("linear.safetensors"), copy);
        var same = Assert.Throws<SlsInputException>(() => ExportRunner.Run(new ExportOptions(Options("linear") with { Petl = copy }, "safetensors",
            copy)));
        Assert.Equal($"{copy}: is one of this run's inputs; --out would replace it (choose another path)", same.Message);
        Assert.Equal(["petl.safetensors"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Splora_exports_in_the_graph_and_merged_from_a_standalone_file()
    {
        var backbone = new ModelOptions(Fixtures.File("backbone.safetensors"), Heads: 3, Device: "cpu");
        torch.manual_seed(11);
        using var trained = ModelFactory.BuildTrainable(backbone, new TrainableRequest(new PetlSettings(new SpLoraMethod(), 4, 0.8), 5),
            plan: Narrow(48));
        using (torch.no_grad())
            foreach (var (name, p) in trained.Model.named_parameters().Where(np => np.name.Contains(".lora_", StringComparison.Ordinal)))
                p.copy_(torch.randn_like(p) * 0.2);   // a fresh B is zero: give every pair something to add
        string onnx = Temp("splora.onnx"), st = Temp("splora.safetensors"), merged = Temp("merged.onnx");
        ExportRunner.Write(trained, new OnnxExport(), onnx);
        ExportRunner.Write(trained, new SafetensorsExport(), st);

        using var _ = torch.no_grad();
        trained.Model.eval();
        using var expected = trained.Model.forward(Images);
        using var ort = OnnxRuntimeModel.Open(onnx);
        using var a = ort.Forward(Images);
        Assert.InRange(Fixtures.RelativeError(a, expected), 0, 1e-4);

        using var folded = ModelFactory.Build(new ModelOptions(st, Heads: 3, Merge: true));
        Assert.True(folded.Merged);
        ExportRunner.Write(folded, new OnnxExport(), merged);
        using var ortMerged = OnnxRuntimeModel.Open(merged);
        using var b = ortMerged.Forward(Images);
        Assert.InRange(Fixtures.RelativeError(b, expected), 0, 1e-4);
        foreach (var (name, p) in trained.Model.named_parameters().Where(np => np.name.Contains(".lora_B", StringComparison.Ordinal))) p.zero_();
        using var c = trained.Model.forward(Images);
        Assert.True(Fixtures.RelativeError(c, expected) > 1e-2, "the SPLoRA pairs must change the logits");
    }

    [Theory]
    [InlineData("a", null, null)]
    [InlineData("a", "a_lora.safetensors", new[] { 0, 3, 5 })]
    [InlineData("b", null, new[] { 1, 2 })]
    public void A_swin_model_exports_to_onnx_and_runs_as_in_torchsharp(string model, string? petl, int[]? kept)
    {
        static string Swin(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "swin", name);
        var options = new ModelOptions(Swin($"{model}.pth"), petl is null ? null : Swin(petl), ImageSize: model == "a" ? 32 : 40, Device: "cpu");
        using var full = ModelFactory.Build(options);
        using var built = kept is null ? ModelFactory.Build(options) : ModelFactory.Build(options, plan: new ModelPlan(full.FullDepth, kept));
        string onnx = Temp("swin.onnx"), st = Temp("swin.safetensors");
        ExportRunner.Write(built, new OnnxExport(), onnx);

        torch.manual_seed(5);
        using var images = torch.randn(3, 3, built.Model.Input.ImageSize, built.Model.Input.ImageSize);
        using var _ = torch.no_grad();
        using var expected = built.Model.forward(images);
        using var ort = OnnxRuntimeModel.Open(onnx);
        using var actual = ort.Forward(images);
        Assert.InRange(Fixtures.RelativeError(actual, expected), 0, 1e-4);
        Assert.Equal("swin", ort.Metadata["family"]);

        if (kept is null)
        {
            ExportRunner.Write(built, new SafetensorsExport(), st);
            using var reloaded = ModelFactory.Build(new ModelOptions(st, ImageSize: options.ImageSize));
            using var again = reloaded.Model.forward(images);
            Assert.InRange(Fixtures.RelativeError(again, expected), 0, 1e-6);
            return;
        }
        var e = Assert.Throws<SlsInputException>(() => ExportRunner.Write(built, new SafetensorsExport(), st));
        Assert.Equal("--format: safetensors: a pruned Swin model's blocks, renumbered, would lose their stages and shifts; export it with "
            + "--format onnx", e.Message);
        Assert.False(File.Exists(st));
    }
}
