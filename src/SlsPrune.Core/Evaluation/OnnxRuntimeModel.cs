using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Evaluation;

/// <summary>
/// An exported ONNX model run by ONNX Runtime on the CPU (all graph optimisations on): input <c>images</c>, output
/// <c>logits</c>, and the preprocessing (size, mean, std) and class count read from the file's metadata, as
/// <c>sls export</c> writes them.
/// </summary>
public sealed class OnnxRuntimeModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();

    private OnnxRuntimeModel(InferenceSession session, InputSpec input, int classes, IReadOnlyDictionary<string, string> metadata)
    {
        _session = session;
        Input = input;
        NumClasses = classes;
        Metadata = metadata;
    }

    public InputSpec Input { get; }

    public int NumClasses { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The class names <c>sls export</c> recorded (metadata <c>class_names</c>), or null.</summary>
    public IReadOnlyList<string>? ClassNames { get; private init; }

    /// <summary>The intra-op threads ONNX Runtime was given.</summary>
    public int Threads { get; private init; }

    /// <param name="threads">ONNX Runtime's intra-op threads; default <see cref="ThreadBudget.Threads"/> (<c>--threads</c>, the Slurm
    /// allocation, <c>OMP_NUM_THREADS</c> or the processors), as libtorch gets, where ONNX Runtime's own default is every
    /// physical core whatever the job was given.</param>
    /// <exception cref="SlsInputException">naming <paramref name="path"/> when ONNX Runtime cannot load it or its
    /// metadata lacks what <c>sls export</c> writes.</exception>
    public static OnnxRuntimeModel Open(string path, int? threads = null)
    {
        int intraOp = Math.Max(1, threads ?? ThreadBudget.Threads);
        if (!File.Exists(path)) throw new SlsInputException(path, "no such file");
        OnnxModelCheck.Check(path);
        InferenceSession session;
        OrtQuiet.Ensure();
        using (var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtQuiet.SessionLevel, IntraOpNumThreads = intraOp,
        })
        {
            try
            {
                session = new InferenceSession(path, options);
            }
            catch (OnnxRuntimeException e)
            {
                throw new SlsInputException(path, $"ONNX Runtime cannot load it: {Printable.Escape(e.Message.Split('\n')[0])}");
            }
        }
        try
        {
            var meta = session.ModelMetadata.CustomMetadataMap;
            int Int(string key) => meta.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)
                && i > 0 ? i
                : throw new SlsInputException(path, $"metadata '{key}' is missing or not a positive integer: not a model written by sls export");
            float[] Floats(string key, int count)
            {
                var parts = meta.TryGetValue(key, out var v) ? v.Split(',') : [];
                var values = parts.Select(p => float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) && float.IsFinite(f)
                    ? f : float.NaN).ToArray();
                return values.Length == count && values.All(float.IsFinite) ? values
                    : throw new SlsInputException(path, $"metadata '{key}' must be {count} finite numbers");
            }
            if (!session.InputMetadata.ContainsKey("images") || !session.OutputMetadata.ContainsKey("logits"))
                throw new SlsInputException(path, "the graph has no 'images' input or no 'logits' output");
            int channels = InputSpec.CheckChannels(Int("channels"), path);
            var std = Floats("std", channels);
            if (std.Any(x => !(x >= 1e-6f))) throw new SlsInputException(path, "metadata 'std' has a value that is not positive (the input is "
                + "divided by it)");
            var input = new InputSpec(InputSpec.CheckImageSize(Int("image_size"), path), channels, Floats("mean", channels), std);
            int classes = Int("classes");
            if (classes > VtabTask.MaxClasses) throw new SlsInputException(path,
                $"metadata 'classes' {classes} is not below the {VtabTask.MaxClasses}-class limit");
            CheckGraph(session, path, input, classes);
            return new OnnxRuntimeModel(session, input, classes, new Dictionary<string, string>(meta, StringComparer.Ordinal))
            {
                ClassNames = Checkpoints.ClassNamesMetadata.Read(meta, path, classes, "'classes'"),
                Threads = intraOp,
            };
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The metadata must describe the graph: where the input <c>images</c> and the output <c>logits</c> fix a dimension,
    /// it is the metadata's channels, image size and classes (a file whose metadata says 64 px for a graph of 56 px failed in
    /// ONNX Runtime at the first batch; one saying 4096 px allocated gigabytes first).</summary>
    private static void CheckGraph(InferenceSession session, string path, InputSpec input, int classes)
    {
        var images = session.InputMetadata["images"].Dimensions;
        var logits = session.OutputMetadata["logits"].Dimensions;
        if (images.Length != 4) throw new SlsInputException(path, $"the graph's input 'images' has {images.Length} dimensions, not 4 (batch, "
            + "channels, height, width)");
        if (logits.Length != 2) throw new SlsInputException(path, $"the graph's output 'logits' has {logits.Length} dimensions, not 2 (batch, "
            + "classes)");
        (string Key, long Value, int Dim, int[] Shape, string Name)[] fixedDims =
        [
            ("channels", input.Channels, 1, images, "input 'images'"), ("image_size", input.ImageSize, 2, images, "input 'images'"),
            ("image_size", input.ImageSize, 3, images, "input 'images'"), ("classes", classes, 1, logits, "output 'logits'"),
        ];
        foreach (var (key, value, dim, shape, name) in fixedDims)
            if (shape[dim] > 0 && shape[dim] != value)
                throw new SlsInputException(path, $"metadata '{key}' {value} contradicts the graph's {name} of shape [{Shape(shape)}]");
    }

    private static string Shape(int[] dims) => string.Join(", ", dims.Select(d => d > 0 ? d.ToString(CultureInfo.InvariantCulture) : "?"));

    /// <summary>Logits [batch, classes] (float32, CPU) of normalised images [batch, channels, size, size].</summary>
    public Tensor Forward(Tensor images)
    {
        float[] data = TensorValues.Floats(images);
        using var value = OrtValue.CreateTensorValueFromMemory(data, images.shape);
        using var outputs = _session.Run(_run, new Dictionary<string, OrtValue> { ["images"] = value }, ["logits"]);
        var logits = outputs[0];
        return torch.tensor(logits.GetTensorDataAsSpan<float>().ToArray(), logits.GetTensorTypeAndShape().Shape);
    }

    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
    }
}
