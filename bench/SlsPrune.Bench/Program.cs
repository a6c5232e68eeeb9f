using System.Diagnostics;
using System.Globalization;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Vit;
using TorchSharp;

// Benchmarks (results go to docs/BENCHMARKS.md with the command and machine):
//   pipeline TASK_DIR [split] [size] [repeats]   read + decode + resize + normalise, images/s, all cores
//   forward MODEL [batch] [iters]                ViT forward (random weights), images/s, no grad
//   engines BACKBONE PETL KEEP BATCHES REPEATS   the same model (first KEEP blocks) in TorchSharp and, exported, in
//                                                ONNX Runtime: images/s at each batch size (median), file sizes
//   ort-optimized MODEL.onnx OUT.onnx            the graph as ONNX Runtime optimises it (all levels, CPU), saved to see the fusions
//   train-gflops BACKBONE TASK METHOD [batch] [epochs]   epochs of sls train's loop against the step's matmuls alone (GFLOP/s)
//   eval-pass BACKBONE PETL TASK [split] [batches] [rounds]   sls eval's accuracy pass (images/s) in TorchSharp and ONNX Runtime
//   adamw-step BACKBONE METHOD [steps]         the optimizer step alone: one flat AdamW against one per tensor
//   feature-gflops BACKBONE PETL [batch] [images] [fp32|bf16]   the feature pass (every block's cls token, random input)
//                                                in GFLOP/s, against plain matmuls of the same shapes in the same dtype
//   budget-costs BACKBONE PETL [batch] [runs]    --budget's cost table: every depth's FLOPs and parameters, and its latency
//                                                (median, IQR) measured [runs] times over, to see how far the medians move
// Each prints one line "name value unit" per measurement.
static double Seconds(Action a)
{
    var sw = Stopwatch.StartNew();
    a();
    return sw.Elapsed.TotalSeconds;
}

// Wall-clock and process CPU seconds (all threads): on a loaded machine the CPU time is the steadier measure of work.
static string Stage(Action a)
{
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    double wall = Seconds(a);
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
    return string.Create(CultureInfo.InvariantCulture, $"{wall:F2} s (cpu {cpu:F2} s)");
}

var inv = CultureInfo.InvariantCulture;
string mode = args.Length > 0 ? args[0] : "";
if (mode == "pipeline" && args.Length >= 2)
{
    var items = VtabTask.Open(args[1]).Read(args.Length > 2 ? args[2] : "test");
    int size = args.Length > 3 ? int.Parse(args[3], inv) : 224;
    int repeats = args.Length > 4 ? int.Parse(args[4], inv) : 3;
    var p = new Preprocessor(size, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
    foreach (var b in BatchLoader.Batches(items.Take(64).ToList(), p, 64)) b.Dispose(); // warm-up
    var best = double.MaxValue;
    for (int r = 0; r < repeats; r++)
        best = Math.Min(best, Seconds(() => { foreach (var b in BatchLoader.Batches(items, p, 64)) b.Dispose(); }));
    Console.WriteLine($"pipeline_images_per_s {items.Count / best:F1} img/s ({items.Count} images to {size}x{size}, {Environment.ProcessorCount} "
        + $"cores, best of {repeats})");
    // Single thread: decode + resize only, to show the per-core cost.
    var one = items.Take(200).ToList();
    double t1 = Seconds(() =>
    {
        foreach (var it in one) PilBicubicResize.Resize(ImageDecoder.Decode(File.ReadAllBytes(it.Path), it.Path), size,
        size);
    });
    Console.WriteLine($"decode_resize_1thread {one.Count / t1:F1} img/s");
    var resized = new RgbImage[items.Count];
    double tp = Seconds(() => SlsPrune.Core.Runtime.ParallelWork.For(items.Count, i =>
        resized[i] = PilBicubicResize.Resize(ImageDecoder.Decode(File.ReadAllBytes(items[i].Path), items[i].Path), size, size)));
    Console.WriteLine($"decode_resize_parallel {items.Count / tp:F1} img/s");
    double tn = Seconds(() => { for (int s = 0; s < resized.Length; s += 64) p.ToTensor(resized.Skip(s).Take(64).ToList()).Dispose(); });
    Console.WriteLine($"normalise_to_tensor {items.Count / tn:F1} img/s");
}
else if (mode == "engines" && args.Length >= 6)
{
    var options = new SlsPrune.Core.Models.ModelOptions(args[1], args[2], Device: "cpu");
    int keep = int.Parse(args[3], inv), repeats = int.Parse(args[5], inv);
    using var full = SlsPrune.Core.Models.ModelFactory.Build(options);
    using var built = keep >= full.FullDepth ? full : SlsPrune.Core.Models.ModelFactory.Build(options,
        plan: SlsPrune.Core.Models.ModelPlan.Leading(full.FullDepth, keep));
    string dir = Directory.CreateTempSubdirectory("sls-bench-").FullName, onnx = Path.Combine(dir, "m.onnx"), st = Path.Combine(dir, "m.safetensors");
    var r = SlsPrune.Core.Export.ExportRunner.Write(built, new SlsPrune.Core.Export.OnnxExport(), onnx);
    long stBytes = SlsPrune.Core.Export.ExportRunner.Write(built, new SlsPrune.Core.Export.SafetensorsExport(), st).Bytes;
    Console.WriteLine($"files {keep}/{built.FullDepth} blocks: onnx {r.Bytes} bytes, safetensors {stBytes} bytes");
    using var ort = SlsPrune.Core.Evaluation.OnnxRuntimeModel.Open(onnx);
    var m = built.Model;
    foreach (int batch in args[4].Split(',').Select(b => int.Parse(b, inv)))
    {
        using var x = torch.randn(batch, m.Input.Channels, m.Input.ImageSize, m.Input.ImageSize);
        double Median(Action a)
        {
            a();
            var t = Enumerable.Range(0, repeats).Select(_ => Seconds(a)).OrderBy(v => v).ToList();
            return t[t.Count / 2];
        }
        double ts, to;
        using (torch.no_grad()) ts = Median(() => { using var s = torch.NewDisposeScope(); m.forward(x); });
        to = Median(() => ort.Forward(x).Dispose());
        Console.WriteLine($"engines batch {batch}: torchsharp {batch / ts:F1} img/s, onnxruntime {batch / to:F1} img/s, ratio {ts / to:F2}");
    }
}
else if (mode == "ort-optimized" && args.Length >= 3)
{
    using var so = new Microsoft.ML.OnnxRuntime.SessionOptions
    {
        GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = args[2]
    };
    using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(args[1], so);
    Console.WriteLine($"wrote {args[2]}");
}
else if (mode == "synth" && args.Length >= 3)
{
    // A random-weight backbone of a variant (timm names) and a linear-probe PETL file, for timing runs.
    var v = VitVariants.ByName(args[1]) ?? throw new ArgumentException($"unknown model {args[1]}");
    int classes = args.Length > 3 ? int.Parse(args[3], inv) : 10;
    torch.manual_seed(0);
    using var model = new VisionTransformer(new VitConfig(v.PatchSize, v.ImageSize / v.PatchSize, v.Width, v.Depth, v.Heads, v.MlpHidden, classes),
        PetlSettings.None);
    var sd = model.state_dict();
    Directory.CreateDirectory(args[2]);
    SlsPrune.Core.Checkpoints.SafetensorsWriter.Write(Path.Combine(args[2], "backbone.safetensors"), sd.Where(kv => !kv.Key.StartsWith("head.",
        StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value));
    SlsPrune.Core.Checkpoints.SafetensorsWriter.Write(Path.Combine(args[2], "linear.safetensors"), sd.Where(kv => kv.Key.StartsWith("head.",
        StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value),
        new Dictionary<string, string> { ["petl_method"] = "linear", ["num_classes"] = classes.ToString(inv) });
    Console.WriteLine($"wrote {args[2]}/backbone.safetensors and linear.safetensors ({v.Name}, {classes} classes)");
}
else if (mode == "forward" && args.Length >= 2)
{
    var v = VitVariants.ByName(args[1]) ?? throw new ArgumentException($"unknown model {args[1]}");
    int batch = args.Length > 2 ? int.Parse(args[2], inv) : 8;
    int iters = args.Length > 3 ? int.Parse(args[3], inv) : 3;
    int depth = args.Length > 4 ? int.Parse(args[4], inv) : v.Depth;
    torch.manual_seed(0);
    var config = new VitConfig(v.PatchSize, v.ImageSize / v.PatchSize, v.Width, depth, v.Heads, v.MlpHidden, 10);
    using var model = new VisionTransformer(config, PetlSettings.None);
    model.eval();
    using var x = torch.randn(batch, 3, v.ImageSize, v.ImageSize);
    using (torch.no_grad()) { using var scope = torch.NewDisposeScope(); model.forward(x); }
    var best = double.MaxValue;
    for (int i = 0; i < iters; i++)
        best = Math.Min(best, Seconds(() => { using var _ = torch.no_grad(); using var scope = torch.NewDisposeScope(); model.forward(x); }));
    Console.WriteLine($"forward_images_per_s {batch / best:F2} img/s ({v.Name}, {depth} blocks, batch {batch}, {torch.get_num_threads()} threads, "
        + $"best of {iters})");
}
else if (mode == "feature-gflops" && args.Length >= 3)
{
    int batch = args.Length > 3 ? int.Parse(args[3], inv) : 128;
    int images = args.Length > 4 ? int.Parse(args[4], inv) : 1024;
    var precision = args.Length > 5 && args[5] == "bf16" ? SlsPrune.Core.Runtime.Precision.Bf16 : SlsPrune.Core.Runtime.Precision.Fp32;
    var dtype = precision == SlsPrune.Core.Runtime.Precision.Bf16 ? torch.bfloat16 : torch.float32;
    using var built = SlsPrune.Core.Models.ModelFactory.Build(new SlsPrune.Core.Models.ModelOptions(args[1], args[2], Precision: precision,
        Device: "cpu"), torch.CPU);
    var model = built.Model;
    var c = ((VisionTransformer)model).Config;
    int batches = (images + batch - 1) / batch;
    torch.manual_seed(0);
    using var x = torch.randn(batch, 3, c.ImageSize, c.ImageSize).to(dtype);
    void Forward() { using var _ = torch.no_grad(); using var scope = torch.NewDisposeScope(); model.ForwardIntermediates(x, stopEarly: true); }
    Forward();
    Forward();
    double forward = double.MaxValue;
    for (int r = 0; r < 3; r++) forward = Math.Min(forward, Seconds(() => { for (int b = 0; b < batches; b++) Forward(); }));
    double flops = (double)model.FlopsPerImage() * batch * batches;
    // the same products, alone: per block qkv, q k^T, (attention) v, proj, fc1, fc2, as nn.Linear and matmul compute them
    long n = c.Tokens, d = c.Width, h = c.Heads, hd = d / h, m = c.MlpHidden, rows = batch * n;
    using var a = torch.randn(rows, d).to(dtype);
    using var am = torch.randn(rows, m).to(dtype);
    using var wqkv = torch.randn(3 * d, d).to(dtype);
    using var wproj = torch.randn(d, d).to(dtype);
    using var wfc1 = torch.randn(m, d).to(dtype);
    using var wfc2 = torch.randn(d, m).to(dtype);
    using var q = torch.randn(batch * h, n, hd).to(dtype);
    using var kt = torch.randn(batch * h, hd, n).to(dtype);
    using var att = torch.randn(batch * h, n, n).to(dtype);
    void Products()
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        for (int i = 0; i < c.Depth; i++)
        {
            torch.nn.functional.linear(a, wqkv);
            torch.matmul(q, kt);
            torch.matmul(att, q);
            torch.nn.functional.linear(a, wproj);
            torch.nn.functional.linear(a, wfc1);
            torch.nn.functional.linear(am, wfc2);
        }
    }
    Products();
    double products = double.MaxValue;
    for (int r = 0; r < 3; r++) products = Math.Min(products, Seconds(() => { for (int b = 0; b < batches; b++) Products(); }));
    double productFlops = 2.0 * c.Depth * (rows * d * 3 * d + 2 * batch * h * n * n * hd + rows * d * d + 2 * rows * d * m) * batches;
    Console.WriteLine($"feature_pass {forward:F3} s {flops / forward / 1e9:F1} GFLOP/s ({batch * batches} images, batch {batch}, {precision}, "
        + $"{torch.get_num_threads()} threads, best of 3)");
    Console.WriteLine($"plain_products {products:F3} s {productFlops / products / 1e9:F1} GFLOP/s (the same matmul shapes, "
        + $"{productFlops / flops * 100:F0}% of the model's FLOPs)");
    Console.WriteLine($"ratio {flops / forward / (productFlops / products):F2} (feature pass GFLOP/s over plain products' GFLOP/s)");
}
else if (mode == "feature-streams" && args.Length >= 4)
{
    // The feature pass of `sls prune` over a calibration folder, in order (one batch at a time on every thread) against
    // BatchStreams' default (batches side by side), alternating; the features must be the same bits.
    int rounds = args.Length > 4 ? int.Parse(args[4], inv) : 5;
    using var built = SlsPrune.Core.Models.ModelFactory.Build(new SlsPrune.Core.Models.ModelOptions(args[1], args[2], Device: "cpu"), torch.CPU);
    var model = built.Model;
    var task = SlsPrune.Core.Data.DataLayouts.Open(args[3]);
    var items = task.Read(SlsPrune.Core.Data.DataLayouts.Split(task, "train800val200"), model.NumClasses);
    var pre = SlsPrune.Core.Data.Images.Preprocessor.For(model.Input);
    int batchSize = 128;
    int streams = SlsPrune.Core.Data.BatchStreams.ForSplit(torch.CPU, items.Count, batchSize, model.ActivationBytesPerImage());
    torch.Tensor Pass(int s) => SlsPrune.Core.Features.LayerFeatureExtractor.Extract(model, items, pre, batchSize, torch.CPU, s).Features;
    using var first = Pass(1);
    using var side = Pass(streams);
    bool same = first.dtype == side.dtype && first.shape.SequenceEqual(side.shape) && first.eq(side).all().item<bool>();
    var (inOrder, sideBySide) = (new List<double>(), new List<double>());
    for (int r = 0; r < rounds; r++)
    {
        inOrder.Add(Seconds(() => Pass(1).Dispose()));
        sideBySide.Add(Seconds(() => Pass(streams).Dispose()));
    }
    static string Range(List<double> t) => $"median {t.Order().ElementAt(t.Count / 2):F3} s (min {t.Min():F3}, max {t.Max():F3})";
    Console.WriteLine($"in_order {Range(inOrder)} ({items.Count} images, batch {batchSize}, {SlsPrune.Core.Runtime.ThreadBudget.Threads} threads)");
    Console.WriteLine($"side_by_side {Range(sideBySide)} ({streams} streams)");
    Console.WriteLine($"same_bits {same}");
}
else if (mode == "tsne-n" && args.Length >= 2)
{
    // One layer of n points (width 32, 10 classes): the t-SNE at sizes beyond the usual 1000.
    int n = int.Parse(args[1], inv);
    int iters = args.Length > 2 ? int.Parse(args[2], inv) : 1000;
    var g = new torch.Generator(0);
    var labels = torch.arange(n) % 10;
    var x = (torch.randn(10, 32, generator: g).index_select(0, labels) * 0.5 + torch.randn(n, 32, generator: g)).unsqueeze(0).to(torch.float32);
    SlsPrune.Core.Fem.Tsne.TsneResult r = null!;
    double t = Seconds(() => r = SlsPrune.Core.Fem.Tsne.TsneEmbedder.Fit(x, new SlsPrune.Core.Fem.Tsne.TsneOptions { MaxIter = iters })[0]);
    double sc = SlsPrune.Core.Fem.ClusterMetrics.Silhouette(SlsPrune.Core.Fem.FeatureEvaluation.MinMaxScale(r.Embedding), labels.data<long>()
        .ToArray());
    Console.WriteLine($"tsne_n {n} points, {iters} iterations: {t:F1} s, KL {r.KlDivergence:F3}, SC {sc:F3}");
}
else if (mode == "train-gflops" && args.Length >= 4)
{
    // An epoch of sls train's loop (PetlFit on the task's train800val200, no evaluation until the last epoch) against
    // the same step's matmuls alone: forward products and the backward's input-gradient products (the backbone is
    // frozen: no weight gradients; attention's two products have two backward products each), at the same shapes.
    // args: BACKBONE TASK METHOD [batch] [epochs] [cache bytes: 0 reads the images every epoch]
    var method = PetlMethods.ByName(args[3]) ?? throw new ArgumentException($"unknown PETL method {args[3]}");
    int batch = args.Length > 4 ? int.Parse(args[4], inv) : 64;
    int epochs = args.Length > 5 ? int.Parse(args[5], inv) : 3;
    var petl = PetlSettings.ForTraining(method, scale: method == PetlMethods.ByName("adaptformer") ? 0.1 : null);
    var task = SlsPrune.Core.Data.DataLayouts.Open(args[2]);
    var train = task.Read("train800val200");
    var eval = task.Read("test");
    int classes = train.Concat(eval).Max(i => i.Label) + 1;
    torch.manual_seed(0);
    using var built = SlsPrune.Core.Models.ModelFactory.BuildTrainable(new SlsPrune.Core.Models.ModelOptions(args[1], BatchSize: batch,
        Device: "cpu"),
        new SlsPrune.Core.Models.TrainableRequest(petl, classes));
    var model = built.Model;
    var c = ((VisionTransformer)model).Config;
    long n = c.Tokens, d = c.Width, h = c.Heads, hd = d / h, m = c.MlpHidden, rows = batch * n;
    using var a = torch.randn(rows, d);
    using var a3 = torch.randn(rows, 3 * d);
    using var am = torch.randn(rows, m);
    using var wqkv = torch.randn(3 * d, d);
    using var wproj = torch.randn(d, d);
    using var wfc1 = torch.randn(m, d);
    using var wfc2 = torch.randn(d, m);
    using var q = torch.randn(batch * h, n, hd);
    using var kt = torch.randn(batch * h, hd, n);
    using var att = torch.randn(batch * h, n, n);
    bool backbonePasses = method != PetlMethods.Linear;
    void Products()
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        for (int i = 0; i < c.Depth; i++)
        {
            torch.nn.functional.linear(a, wqkv);   // forward
            torch.matmul(q, kt);
            torch.matmul(att, q);
            torch.nn.functional.linear(a, wproj);
            torch.nn.functional.linear(a, wfc1);
            torch.nn.functional.linear(am, wfc2);
            torch.matmul(am, wfc1);                 // backward, input gradients: fc2, fc1, proj, attention (4), qkv
            torch.matmul(a, wfc2);
            torch.matmul(a, wproj);
            torch.matmul(att, q);
            torch.matmul(att, q);
            torch.matmul(q, kt);
            torch.matmul(q, kt);
            torch.matmul(a3, wqkv);
        }
    }
    Products();
    var productTimes = Enumerable.Range(0, 5).Select(_ => Seconds(Products)).Order().ToList();
    double stepProducts = productTimes[2];
    double stepFlops = 2.0 * c.Depth * 2 * (rows * d * 3 * d + 2 * batch * h * n * n * hd + rows * d * d + 2 * rows * d * m) + 2.0 * c.Depth * 2
        * batch * h * n * n * hd;
    double perEpoch = (double)train.Count / batch;
    Console.WriteLine($"plain_products {stepProducts * perEpoch:F3} s per epoch {stepFlops / stepProducts / 1e9:F1} GFLOP/s ({stepFlops / 1e9:F2} "
        + $"GFLOP per batch of {batch}: forward + input-gradient matmuls, median of 5)");
    {
        // one step in parts, on a random batch (medians of 10 after 3 warm-ups)
        var trainableParams = model.named_parameters().Where(np => PetlMethods.IsTaskParameter(np.name)).Select(np => (np.name, np.parameter))
            .ToList();
        foreach (var (name, p) in model.named_parameters()) p.requires_grad = PetlMethods.IsTaskParameter(name);
        var probe = trainableParams.Select(t => (t.name, new TorchSharp.Modules.Parameter(t.parameter.detach().clone()))).ToList();
        using var opt = new SlsPrune.Core.Training.AdamW(probe, 1e-4); // a copy: the fit below starts from the same weights
        using var x = torch.randn(batch, 3, c.ImageSize, c.ImageSize);
        using var y = torch.randint(0, classes, [batch]);
        model.train();
        var parts = new List<(double F, double B, double S)>();
        for (int i = 0; i < 13; i++)
        {
            using var scope = torch.NewDisposeScope();
            torch.Tensor loss = null!;
            double f = Seconds(() => loss = torch.nn.functional.cross_entropy(model.forward(x), y));
            double b = Seconds(() => loss.backward());
            foreach (var ((_, p), (_, copy)) in trainableParams.Zip(probe)) { copy.grad = p.grad!.clone(); p.grad = null; }
            double st = Seconds(() => opt.Step(1e-3));
            if (i >= 3) parts.Add((f, b, st));
        }
        double Med(IEnumerable<double> v) { var l = v.Order().ToList(); return l[l.Count / 2]; }
        double fm = Med(parts.Select(p => p.F)), bm = Med(parts.Select(p => p.B)), sm = Med(parts.Select(p => p.S));
        Console.WriteLine($"step_parts forward {fm * 1e3:F1} ms, backward {bm * 1e3:F1} ms, optimizer {sm * 1e3:F2} ms; plain products "
            + $"{stepProducts * 1e3:F1} ms per batch of {batch}");
    }
    var marks = new List<double>();
    var sw = Stopwatch.StartNew();
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    long cacheBytes = args.Length > 6 ? long.Parse(args[6], inv) : SlsPrune.Core.Training.SplitCache.BudgetBytes;
    var fit = SlsPrune.Core.Training.PetlFit.Run(model, train, eval, new SlsPrune.Core.Training.FitSettings(epochs, 1, 1e-3, 1e-5, 1e-4, batch, 0,
        epochs, false)
    { CacheBytes = cacheBytes },
        torch.CPU, progress: new EpochMarks(r => marks.Add(sw.Elapsed.TotalSeconds)));
    double total = sw.Elapsed.TotalSeconds;
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
    Console.WriteLine($"fit {total:F2} s (cpu {cpu:F2} s), epochs ends at " + string.Join(" ", marks.Select(t => t.ToString("F2", inv)))
        + $", accuracy {fit.Best:F4}, loss {fit.FinalLoss:F6}");
    // the epochs before the last (the last one evaluates)
    for (int e = 1; e < marks.Count - 1; e++)
    {
        double t = marks[e] - marks[e - 1];
        Console.WriteLine($"epoch {e + 1} {t:F3} s, {stepFlops * perEpoch / t / 1e9:F1} GFLOP/s, {t / (stepProducts * perEpoch):F2}x the plain "
            + $"products ({method.Name}, batch {batch}, {torch.get_num_threads()} threads)");
    }
}
else if (mode == "eval-pass" && args.Length >= 4)
{
    // sls eval's accuracy pass (decode on a second thread while the model runs, top-1 over the split), through
    // TorchSharp and, exported to ONNX, through ONNX Runtime, in alternating rounds; and the decoding alone.
    // args: BACKBONE PETL TASK [split] [batches, e.g. 64,1] [rounds]
    string split = args.Length > 4 ? args[4] : "test";
    var sizes = (args.Length > 5 ? args[5] : "64,1").Split(',').Select(b => int.Parse(b, inv)).ToArray();
    int rounds = args.Length > 6 ? int.Parse(args[6], inv) : 3;
    using var built = SlsPrune.Core.Models.ModelFactory.Build(new SlsPrune.Core.Models.ModelOptions(args[1], args[2], Device: "cpu"), torch.CPU);
    var model = built.Model;
    var items = SlsPrune.Core.Data.DataLayouts.Open(args[3]).Read(split, model.NumClasses);
    var pre = Preprocessor.For(model.Input);
    string dir = Directory.CreateTempSubdirectory("sls-bench-").FullName, onnx = Path.Combine(dir, "m.onnx");
    SlsPrune.Core.Export.ExportRunner.Write(built, new SlsPrune.Core.Export.OnnxExport(), onnx);
    using var ort = SlsPrune.Core.Evaluation.OnnxRuntimeModel.Open(onnx);
    foreach (int batch in sizes)
    {
        // sls eval's TorchSharp engine runs batches side by side where BatchStreams says so; "in order" is one at a time
        int streams = SlsPrune.Core.Data.BatchStreams.ForSplit(torch.CPU, items.Count, batch, model.ActivationBytesPerImage());
        int Top1(Func<torch.Tensor, torch.Tensor> f, int s = 1) => SlsPrune.Core.Evaluation.Accuracy.Confusion(f, items, pre, batch,
            model.NumClasses, s).Select((row, c) => row[c]).Sum();
        model.eval();
        Top1(x => model.forward(x)); // warm-up
        Top1(x => model.forward(x), streams);
        Top1(ort.Forward);
        for (int r = 0; r < rounds; r++)
        {
            int cs = 0, cp = 0, co = 0;
            double ts = Seconds(() => cs = Top1(x => model.forward(x)));
            double tp = Seconds(() => cp = Top1(x => model.forward(x), streams));
            double to = Seconds(() => co = Top1(ort.Forward));
            double td = Seconds(() => { foreach (var b in BatchLoader.Batches(items, pre, batch)) b.Dispose(); });
            Console.WriteLine($"eval_pass batch {batch} round {r + 1}: torchsharp in order {items.Count / ts:F1} img/s ({cs} correct), "
                + $"side by side ({streams} streams) {items.Count / tp:F1} img/s ({cp} correct), onnxruntime {items.Count / to:F1} img/s "
                + $"({co} correct), decoding alone {items.Count / td:F1} img/s ({items.Count} images, {torch.get_num_threads()} threads)");
        }
    }
    Directory.Delete(dir, true);
}
else if (mode == "adamw-step" && args.Length >= 3)
{
    // The optimizer step alone on a model's trainable tensors: one flat AdamW against one AdamW per tensor (the
    // nine operations per tensor of the step before the flat buffer). args: BACKBONE METHOD [steps]
    var method = PetlMethods.ByName(args[2]) ?? throw new ArgumentException($"unknown PETL method {args[2]}");
    int steps = args.Length > 3 ? int.Parse(args[3], inv) : 200;
    using var built = SlsPrune.Core.Models.ModelFactory.BuildTrainable(new SlsPrune.Core.Models.ModelOptions(args[1], Device: "cpu"),
        new SlsPrune.Core.Models.TrainableRequest(PetlSettings.ForTraining(method), 10));
    var tensors = built.Model.named_parameters().Where(np => PetlMethods.IsTaskParameter(np.name)).Select(np => (np.name, np.parameter)).ToList();
    var copies = tensors.Select(t => (t.name, new TorchSharp.Modules.Parameter(t.parameter.detach().clone()))).ToList();
    foreach (var (_, p) in tensors.Concat(copies)) p.grad = torch.randn_like(p);
    using var flat = new SlsPrune.Core.Training.AdamW(tensors, 1e-4);
    var single = copies.Select(c => new SlsPrune.Core.Training.AdamW([c], 1e-4)).ToList();
    for (int round = 0; round < 3; round++)
    {
        double tf = Seconds(() => { for (int i = 0; i < steps; i++) flat.Step(1e-3); });
        double ts = Seconds(() => { for (int i = 0; i < steps; i++) foreach (var o in single) o.Step(1e-3); });
        Console.WriteLine($"adamw_step {tensors.Count} tensors ({tensors.Sum(t => t.parameter.numel())} values): flat {tf / steps * 1e3:F3} ms, "
            + $"per tensor {ts / steps * 1e3:F3} ms per step");
    }
}
else if (mode == "trainer" && args.Length >= 4)
{
    // PetlTrainer.Run (sls train's runner) in process, with the time at each epoch's end. args: BACKBONE TASK METHOD [epochs]
    var method = PetlMethods.ByName(args[3]) ?? throw new ArgumentException($"unknown PETL method {args[3]}");
    int epochs = args.Length > 4 ? int.Parse(args[4], inv) : 3;
    string outFile = Path.Combine(Directory.CreateTempSubdirectory("sls-bench-").FullName, "petl.safetensors");
    var sw = Stopwatch.StartNew();
    var r = SlsPrune.Core.Training.PetlTrainer.Run(new SlsPrune.Core.Training.TrainOptions(new SlsPrune.Core.Models.ModelOptions(args[1],
        BatchSize: 64, Device: "cpu"), args[2],
        PetlSettings.ForTraining(method), outFile, Epochs: epochs, WarmupEpochs: 1, EvalEvery: epochs, Resume: false),
        new EpochMarks(e => Console.WriteLine($"epoch {e.Epoch} ends at {sw.Elapsed.TotalSeconds:F2} s, loss {e.Loss:F6}")));
    Console.WriteLine($"trainer {sw.Elapsed.TotalSeconds:F2} s, best {r.BestAccuracy:F4}");
}
else if (mode == "feature-profile" && args.Length >= 4)
{
    // The feature pass of sls prune in parts: decoding alone, the forward alone on the decoded batches, both as
    // LayerFeatureExtractor runs them. args: BACKBONE PETL TASK [batch]
    int batch = args.Length > 4 ? int.Parse(args[4], inv) : 64;
    using var built = SlsPrune.Core.Models.ModelFactory.Build(new SlsPrune.Core.Models.ModelOptions(args[1], args[2], Device: "cpu"), torch.CPU);
    var model = built.Model;
    var task = SlsPrune.Core.Data.DataLayouts.Open(args[3]);
    var items = task.Read("train800val200", model.NumClasses);
    var pre = SlsPrune.Core.Data.Images.Preprocessor.For(model.Input);
    for (int pass = 1; pass <= 2; pass++)
    {
        var decoded = new List<torch.Tensor>();
        foreach (var b in SlsPrune.Core.Data.BatchLoader.Batches(items, pre, batch)) { decoded.Add(b.Images); b.Labels.Dispose(); }
        var times = new List<double>();
        using (torch.no_grad()) foreach (var x in decoded) times.Add(Seconds(() =>
        {
            using var scope = torch.NewDisposeScope(); model.ForwardIntermediates(x, stopEarly: true);
        }));
        Console.WriteLine($"pass {pass} per batch ({times.Sum():F3} s): " + string.Join(" ", times.Select(t => t.ToString("F3", inv))));
        foreach (var x in decoded) x.Dispose();
    }
    for (int rep = 0; rep < 3; rep++)
    {
        var decoded = new List<torch.Tensor>();
        double dec = Seconds(() =>
        {
            foreach (var b in SlsPrune.Core.Data.BatchLoader.Batches(items, pre,
            batch)) { decoded.Add(b.Images); b.Labels.Dispose(); }
        });
        double fwd = Seconds(() =>
        {
            using var _ = torch.no_grad(); foreach (var x in decoded)
            {
                using var scope = torch.NewDisposeScope(); model.ForwardIntermediates(x, stopEarly: true);
            }
        });
        foreach (var x in decoded) x.Dispose();
        double both = Seconds(() => SlsPrune.Core.Features.LayerFeatureExtractor.Extract(model, items, pre, batch, torch.CPU).Dispose());
        Console.WriteLine($"decode {dec:F3} s, forward {fwd:F3} s, extract {both:F3} s ({items.Count} images, batch {batch}, torch threads "
            + $"{torch.get_num_threads()})");
    }
}
else if (mode == "team-steps")
{
    // 1000 short parallel steps as the t-SNE runs them: each step the exact repulsion of 12 layers x 1000 points (the
    // same float operations per pair as CpuTsneGradient), 64 rows per item; on one thread, with Parallel.For (what the
    // FEM used before) and with a WorkerTeam. Prints ms per step.
    int n = 1000, rows = 12 * n, steps = args.Length > 1 ? int.Parse(args[1], inv) : 1000;
    var rng = new Random(1);
    var xs = Enumerable.Range(0, rows).Select(_ => (float)(rng.NextDouble() * 40 - 20)).ToArray();
    var ys = Enumerable.Range(0, rows).Select(_ => (float)(rng.NextDouble() * 40 - 20)).ToArray();
    var fx = new float[rows];
    void Row(int r)
    {
        int b = r / n * n;
        var vxi = new System.Numerics.Vector<float>(xs[r]);
        var vyi = new System.Numerics.Vector<float>(ys[r]);
        System.Numerics.Vector<float> accZ = default, accX = default;
        for (int j = 0; j <= n - 8; j += System.Numerics.Vector<float>.Count)
        {
            var dx = vxi - new System.Numerics.Vector<float>(xs, b + j);
            var dy = vyi - new System.Numerics.Vector<float>(ys, b + j);
            var q = System.Numerics.Vector<float>.One / (System.Numerics.Vector<float>.One + dx * dx + dy * dy);
            accZ += q;
            accX += q * q * dx;
        }
        fx[r] = System.Numerics.Vector.Sum(accX) + System.Numerics.Vector.Sum(accZ);
    }
    void Item(int w) { for (int r = w * 64, end = Math.Min(rows, r + 64); r < end; r++) Row(r); }
    int items = (rows + 63) / 64;
    using var team = new SlsPrune.Core.Runtime.WorkerTeam();
    var runners = new (string Name, Action Step)[]
    {
        ("one thread", () => { for (int w = 0; w < items; w++) Item(w); }),
        ("Parallel.For", () => SlsPrune.Core.Runtime.ParallelWork.For(items, Item)),
        ($"WorkerTeam ({team.Threads} threads)", () => team.For(items, Item)),
    };
    for (int round = 0; round < 2; round++)
        foreach (var (name, step) in runners)
        {
            for (int i = 0; i < 50; i++) step();
            double t = Seconds(() => { for (int i = 0; i < steps; i++) step(); });
            Console.WriteLine($"team_steps {name}: {t / steps * 1e3:F3} ms per step ({steps} steps)");
        }
}
else if (mode == "tsne-gradient" && args.Length >= 2)
{
    // The exact t-SNE gradient of the top layer's 1000 points (sls prune --features-out), its repulsion one row at a time
    // against two rows per 512-bit vector, alternating in one process: microseconds per gradient at the PCA start (points
    // close together) and at the fitted embedding (spread out), and whether both give the same bits.
    var fs = SlsPrune.Core.Features.LayerFeatureSet.Load(args[1]);
    int rounds = args.Length > 2 ? int.Parse(args[2], inv) : 5, layer = fs.Layers - 1, n = fs.Count;
    using var one = fs.Features[layer..(layer + 1)];
    var o = new SlsPrune.Core.Fem.Tsne.TsneOptions();
    var bp = new SlsPrune.Core.Fem.Tsne.BatchedP(1, n, SlsPrune.Core.Fem.Tsne.JointProbabilities.ComputeLayers(one, o.Perplexity,
        o.NeighboursFor(n)));
    using var fitted = SlsPrune.Core.Fem.Tsne.TsneEmbedder.Fit(one, o)[0].Embedding.unsqueeze(0);
    using var init = SlsPrune.Core.Fem.Tsne.InitialEmbedding.Create(one, "pca", 0);
    foreach (var (name, y) in new[] { ("pca start", init), ("fitted", fitted) })
    {
        var times = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        var bits = new Dictionary<bool, float[]>();
        for (int round = 0; round < rounds; round++)
            foreach (bool pairs in new[] { false, true })
            {
                using var g = new SlsPrune.Core.Fem.Tsne.CpuTsneGradient(bp, System.Runtime.Intrinsics.X86.Avx.IsSupported, pairs);
                for (int i = 0; i < 50; i++) g.Compute(y, [1f], false).Grad.Dispose();
                times[pairs].Add(Seconds(() => { for (int i = 0; i < 500; i++) g.Compute(y, [1f], false).Grad.Dispose(); }) / 500 * 1e6);
                using var grad = g.Compute(y, [1f], false).Grad;
                bits[pairs] = grad.data<float>().ToArray();
            }
        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        Console.WriteLine($"{name}: one row at a time {Median(times[false]):F0} us, row pairs {Median(times[true]):F0} us per gradient (medians of "
            + $"{rounds}), x{Median(times[false]) / Median(times[true]):F2}, same_bits {bits[false].SequenceEqual(bits[true])}");
    }
}
else if (mode == "tsne-steps" && args.Length >= 2)
{
    // The top layer's t-SNE pieces at its fitted embedding, 3 rounds: the gradient and the descent step (microseconds an
    // iteration, 1000 iterations) and P (milliseconds), on the thread budget or the count given.
    var fs = SlsPrune.Core.Features.LayerFeatureSet.Load(args[1]);
    int layer = fs.Layers - 1, n = fs.Count;
    using var one = fs.Features[layer..(layer + 1)];
    var o = new SlsPrune.Core.Fem.Tsne.TsneOptions();
    var bp = new SlsPrune.Core.Fem.Tsne.BatchedP(1, n, SlsPrune.Core.Fem.Tsne.JointProbabilities.ComputeLayers(one, o.Perplexity,
        o.NeighboursFor(n)));
    using var fitted = SlsPrune.Core.Fem.Tsne.TsneEmbedder.Fit(one, o)[0].Embedding.unsqueeze(0);
    if (args.Length > 2) SlsPrune.Core.Runtime.ThreadBudget.Use(new SlsPrune.Core.Runtime.ThreadChoice(int.Parse(args[2], inv), "bench"));
    using var g = new SlsPrune.Core.Fem.Tsne.CpuTsneGradient(bp);
    var y = fitted.contiguous().data<float>().ToArray();
    var grad = new float[y.Length];
    for (int r = 0; r < 3; r++)
    {
        double tg = Seconds(() => { for (int i = 0; i < 1000; i++) g.Compute(y, [1f], false, grad); });
        using var st = new SlsPrune.Core.Fem.Tsne.ArrayDescentState(fitted, g, 1, n, o);
        double ts = Seconds(() => { for (int i = 0; i < 1000; i++) st.Step([1f], [0.8f], [1f], false, false); });
        double tp = Seconds(() => SlsPrune.Core.Fem.Tsne.JointProbabilities.ComputeLayers(one, o.Perplexity, o.NeighboursFor(n)));
        using var one0 = one[0];
        double tk = Seconds(() => SlsPrune.Core.Fem.Tsne.JointProbabilities.NearestNeighbours(one0, o.NeighboursFor(n)));
        Console.WriteLine($"  nearest neighbours {tk * 1e3:F0} ms of P");
        Console.WriteLine($"gradient {tg * 1e3:F0} us/iter, step {ts * 1e3:F0} us/iter, P {tp * 1e3:F0} ms");
    }
}
else if (mode == "tsne-alone" && args.Length >= 2)
{
    // Each layer fitted alone (TsneOptions.FirstLayer) against all layers fitted together: equal bit for bit?
    var fs = SlsPrune.Core.Features.LayerFeatureSet.Load(args[1]);
    IReadOnlyList<SlsPrune.Core.Fem.Tsne.TsneResult> all = null!;
    Console.WriteLine($"all {fs.Layers} layers together: "
        + $"{Seconds(() => all = SlsPrune.Core.Fem.Tsne.TsneEmbedder.Fit(fs.Features, new SlsPrune.Core.Fem.Tsne.TsneOptions())):F3} s");
    for (int l = 0; l < fs.Layers; l++)
    {
        using var one = fs.Features[l..(l + 1)];
        SlsPrune.Core.Fem.Tsne.TsneResult alone = null!;
        double secs = Seconds(() => alone = SlsPrune.Core.Fem.Tsne.TsneEmbedder.Fit(one, new SlsPrune.Core.Fem.Tsne.TsneOptions
        {
            FirstLayer = l
        })[0]);
        Console.WriteLine($"layer {l + 1} alone: {secs:F3} s");
        bool same = all[l].Embedding.data<float>().ToArray().SequenceEqual(alone.Embedding.data<float>().ToArray());
        Console.WriteLine($"layer {l + 1}: same embedding {same}, KL {all[l].KlDivergence:R} / {alone.KlDivergence:R}, iterations "
            + $"{all[l].Iterations} / {alone.Iterations}");
    }
}
else if (mode == "fem" && args.Length >= 2)
{
    // FEM on saved features (sls prune --features-out) or, with "random", class-structured random features
    // [12, 1000, 768]: t-SNE of all layers + min-max + silhouette per layer.
    SlsPrune.Core.Features.LayerFeatureSet fs;
    if (args[1] == "random")
    {
        var g = new torch.Generator(0);
        var labels = Enumerable.Range(0, 1000).Select(i => (long)(i % 10)).ToArray();
        var centres = torch.randn(10, 768, generator: g);
        var sep = torch.linspace(0.0, 0.6, 12).reshape(12, 1, 1);
        var feats = (centres.index_select(0, torch.tensor(labels)).unsqueeze(0) * sep + torch.randn(12, 1000, 768, generator: g)).to(torch.float32);
        fs = new SlsPrune.Core.Features.LayerFeatureSet(feats, labels);
    }
    else fs = SlsPrune.Core.Features.LayerFeatureSet.Load(args[1]);
    if (args.Length > 2) { fs.Save(args[2]); Console.WriteLine($"saved {args[2]}"); }
    if (Environment.GetEnvironmentVariable("SLS_BENCH_STAGES") == "1")
    {
        var o = new SlsPrune.Core.Fem.Tsne.TsneOptions();
        int n = fs.Count, k = o.NeighboursFor(n);
        var ps = new SlsPrune.Core.Fem.Tsne.SparseP[fs.Layers];
        Console.WriteLine($"stage_p {Stage(() => ps = SlsPrune.Core.Fem.Tsne.JointProbabilities.ComputeLayers(fs.Features, 30, k))}");
        {
            // kNN (cdist + topk) alone, by reflection; the binary searches and symmetrisation are the rest of stage_p.
            var jp = typeof(SlsPrune.Core.Fem.Tsne.JointProbabilities);
            var flags = System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic;
            var knn = jp.GetMethod("NearestNeighbours", flags)!;
            Console.WriteLine($"stage_p_knn {Stage(() => { for (int l = 0; l < fs.Layers; l++) knn.Invoke(null, [fs.Features[l], k]); })}");
        }
        torch.Tensor init = null!;
        Console.WriteLine($"stage_init {Stage(() => init = SlsPrune.Core.Fem.Tsne.InitialEmbedding.Create(fs.Features, "pca", 0))}");
        using var grad = new SlsPrune.Core.Fem.Tsne.CpuTsneGradient(new SlsPrune.Core.Fem.Tsne.BatchedP(fs.Layers, n, ps));
        var ex = Enumerable.Repeat(1f, fs.Layers).ToArray();
        for (int i = 0; i < 30; i++) grad.Compute(init, ex, false).Grad.Dispose(); // past tiered JIT
        Console.WriteLine($"stage_grad_x100 {Stage(() => { for (int i = 0; i < 100; i++) grad.Compute(init, ex, false).Grad.Dispose(); })}");
        {
            // The per-iteration work outside the gradient as TsneEmbedder.Optimise did it before its CPU path (torch
            // ops on [layers, n, 2]), for comparison.
            using var negLr = (-200f).ToScalar();
            using var gainUp = 0.2f.ToScalar();
            using var gainDown = 0.8f.ToScalar();
            using var minGain = 0.01f.ToScalar();
            using var zero = 0f.ToScalar();
            using var one = 1f.ToScalar();
            using var y = init.clone();
            using var update = torch.zeros_like(y);
            using var gains = torch.ones_like(y);
            using var gradT = grad.Compute(init, ex, false).Grad;
            var phase = Enumerable.Repeat(2, fs.Layers).ToArray();
            void Step()
            {
                using var scope = torch.NewDisposeScope();
                var momentum = torch.tensor(phase.Select(p => p == 1 ? 0.5f : 0.8f).ToArray()).reshape(fs.Layers, 1, 1);
                var active = torch.tensor(phase.Select(p => p == 3 ? 0f : 1f).ToArray()).reshape(fs.Layers, 1, 1);
                var inactive = active.neg().add_(one, one);
                var inc = update.mul(gradT).lt(zero);
                gains.copy_(torch.where(inc, gains.add(gainUp, one), gains.mul(gainDown)).clamp_min(minGain).mul(active).add_(gains.mul(inactive),
                    one));
                var scaled = gradT.mul(gains);
                update.copy_(momentum.mul(update).add_(scaled.mul(negLr), one).mul(active).add_(update.mul(inactive), one));
                y.add_(update.mul(active), one);
            }
            for (int i = 0; i < 30; i++) Step();
            Console.WriteLine($"stage_torch_update_x1000 {Stage(() => { for (int i = 0; i < 1000; i++) Step(); })}");
        }
        IReadOnlyList<SlsPrune.Core.Fem.Tsne.TsneResult> fit = null!;
        int[] gc0 = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        Console.WriteLine($"stage_fit {Stage(() => fit = SlsPrune.Core.Fem.Tsne.TsneEmbedder.Fit(fs.Features, o))}");
        Console.WriteLine($"stage_fit_gcs {GC.CollectionCount(0) - gc0[0]} {GC.CollectionCount(1) - gc0[1]} {GC.CollectionCount(2) - gc0[2]} (gen "
            + $"0, 1, 2)");
        Console.WriteLine("stage_iterations " + string.Join(" ", fit.Select(r => r.Iterations.ToString(inv))));
    }
    var femCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    double t = Seconds(() =>
    {
        using var fem = SlsPrune.Core.Fem.FeatureEvaluation.Score(fs.Features, fs.Labels, SlsPrune.Core.Fem.ClusterMetrics.Default,
            new SlsPrune.Core.Fem.Tsne.TsneOptions(), torch.CPU);
        var scores = fem.Scores;
        Console.WriteLine("sc " + string.Join(" ", scores.Select(x => x.ToString("F4", inv))));
        if (Environment.GetEnvironmentVariable("SLS_BENCH_EXACT") == "1")
        {
            // For bit-identity checks between builds: every score round-trippable, and a hash of the embeddings.
            Console.WriteLine("sc_exact " + string.Join(" ", scores.Select(x => x.ToString("R", inv))));
            using var sha = System.Security.Cryptography.SHA256.Create();
            foreach (var e in fem.Embeddings)
            {
                var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.contiguous().data<float>().ToArray().AsSpan()).ToArray();
                sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
            }
            sha.TransformFinalBlock([], 0, 0);
            Console.WriteLine("embeddings_sha256 " + Convert.ToHexString(sha.Hash!));
        }
    });
    Console.WriteLine($"fem_seconds {t:F2} s ({fs.Layers} layers x {fs.Count} points x {fs.Features.shape[2]} width), cpu "
        + $"{(Process.GetCurrentProcess().TotalProcessorTime - femCpu0).TotalSeconds:F2} s");
}
else if (mode == "tsne-exact" && args.Length >= 2)
{
    // Bit-identity check between builds on the sklearn fixtures (tests/fixtures/sls/sls.safetensors): per set,
    // each layer's final KL and SC round-trippable, the iterations, and a hash of P and of the embeddings.
    using var f = SlsPrune.Core.Checkpoints.SafetensorsFile.Open(args[1]);
    var tensors = SlsPrune.Core.Checkpoints.CheckpointFile.ReadAll(f);
    foreach (var set in new[] { "separating", "dip", "overlap", "imbalanced" })
    {
        var labels = tensors[$"{set}.labels"].data<long>().ToArray();
        var feats = tensors[$"{set}.feats"];
        var o = new SlsPrune.Core.Fem.Tsne.TsneOptions();
        int n = (int)feats.shape[1];
        using var sha = System.Security.Cryptography.SHA256.Create();
        for (int l = 0; l < feats.shape[0]; l++)
        {
            var p = SlsPrune.Core.Fem.Tsne.JointProbabilities.Compute(feats[l], o.Perplexity, o.NeighboursFor(n));
            var pb = System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.Values.AsSpan()).ToArray();
            sha.TransformBlock(pb, 0, pb.Length, null, 0);
        }
        var results = SlsPrune.Core.Fem.Tsne.TsneEmbedder.Fit(feats, o);
        foreach (var r in results)
        {
            var eb = System.Runtime.InteropServices.MemoryMarshal.AsBytes(r.Embedding.contiguous().data<float>().ToArray().AsSpan()).ToArray();
            sha.TransformBlock(eb, 0, eb.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        Console.WriteLine($"{set} kl " + string.Join(" ", results.Select(r => r.KlDivergence.ToString("R", inv))));
        Console.WriteLine($"{set} sc " + string.Join(" ", results.Select(r =>
            SlsPrune.Core.Fem.ClusterMetrics.Silhouette(SlsPrune.Core.Fem.FeatureEvaluation.MinMaxScale(r.Embedding), labels).ToString("R", inv))));
        Console.WriteLine($"{set} iterations " + string.Join(" ", results.Select(r => r.Iterations.ToString(inv))));
        Console.WriteLine($"{set} sha256 " + Convert.ToHexString(sha.Hash!));
    }
}
else if (mode == "budget-costs" && args.Length >= 3)
{
    int batch = args.Length > 3 ? int.Parse(args[3], inv) : 1, runs = args.Length > 4 ? int.Parse(args[4], inv) : 3;
    using var built = SlsPrune.Core.Models.ModelFactory.Build(new SlsPrune.Core.Models.ModelOptions(args[1], args[2], Device: "cpu"));
    for (int run = 1; run <= runs; run++)
    {
        SlsPrune.Core.Pruning.Budgets.CostTable costs = null!;
        string took = Stage(() => costs = SlsPrune.Core.Pruning.Budgets.CostTable.Measured(built.Model, batch, torch.CPU, CancellationToken.None));
        Console.WriteLine($"run {run} cost-table {took}");
        foreach (var r in costs.Rows)
            Console.WriteLine(string.Create(inv, $"run {run} depth {r.Blocks} flops {r.Flops} params {r.Params} latency_ms {r.LatencyMs:F3} iqr_ms "
                + $"{r.LatencySpreadMs:F3}"));
        Console.WriteLine($"run {run} warning {costs.Warning ?? "none"}");
    }
}
else
{
    Console.Error.WriteLine("usage: SlsPrune.Bench budget-costs BACKBONE PETL [batch] [runs] | pipeline TASK_DIR [split] [size] [repeats] | "
        + "forward MODEL [batch] [iters] [depth] | synth MODEL OUTDIR [classes] | engines ... | ort-optimized ... | feature-gflops BACKBONE PETL "
            + "[batch] [images] [fp32|bf16] | feature-profile BACKBONE PETL TASK [batch] | train-gflops BACKBONE TASK METHOD [batch] [epochs] | "
                + "eval-pass BACKBONE PETL TASK [split] [batches] [rounds] | adamw-step BACKBONE METHOD [steps] | fem FEATURES.safetensors|random "
                    + "[save-to.safetensors] | tsne-n N ITERS | tsne-alone FEATURES.safetensors | tsne-gradient FEATURES.safetensors [rounds] | "
                    + "tsne-steps FEATURES.safetensors [threads] | team-steps [steps] | tsne-exact "
                        + "tests/fixtures/sls/sls.safetensors");
    return 2;
}
return 0;

sealed class EpochMarks(Action<SlsPrune.Core.Training.EpochReport> report) : IProgress<SlsPrune.Core.Training.EpochReport>
{
    public void Report(SlsPrune.Core.Training.EpochReport value) => report(value);
}
