// Classify one image with a model written by `sls export --format onnx`: what a .NET app needs, and nothing of sls.
//   dotnet run --project samples/OnnxClassify -- pruned.onnx image.png [class names...]
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using StbImageSharp;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: OnnxClassify MODEL.onnx IMAGE [class names...]");
    return 2;
}
// A file that is missing or not what it should be: one line naming it, exit 2 (no stack trace).
static int Fail(string file, string problem)
{
    Console.Error.WriteLine($"OnnxClassify: {file}: {problem}");
    return 2;
}
static string OneLine(string message) => string.Join(' ', message.Split(['\n', '\r'],
    StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

ImageResult image;
try
{
    image = ImageResult.FromMemory(File.ReadAllBytes(args[1]), ColorComponents.RedGreenBlue);
}
catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
{
    return Fail(args[1], "file not found");
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    return Fail(args[1], $"cannot be read ({OneLine(e.Message)})");
}
catch (Exception e)                                            // StbImageSharp: "unknown image type", a cut-off file, ...
{
    return Fail(args[1], $"not an image this sample decodes (PNG, JPEG, BMP, GIF, TGA, PSD, HDR): {OneLine(e.Message)}");
}

if (!File.Exists(args[0])) return Fail(args[0], "file not found");
InferenceSession session;
try
{
    session = new InferenceSession(args[0]);
}
catch (OnnxRuntimeException e)
{
    return Fail(args[0], $"not a model ONNX Runtime loads ({OneLine(e.Message)})");
}
using var _ = session;
var meta = session.ModelMetadata.CustomMetadataMap;           // written by sls export
if (!meta.TryGetValue("image_size", out var sizeText) || !meta.TryGetValue("mean", out var meanText) || !meta.TryGetValue("std", out var stdText))
    return Fail(args[0], "has no image_size, mean and std metadata: not written by sls export");
int size = int.Parse(sizeText, CultureInfo.InvariantCulture);
float[] mean = meanText.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
float[] std = stdText.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
string[] names = args.Length > 2 ? args[2..]                   // class names: the command line, else the export's own
    : meta.TryGetValue("class_names", out var json) ? System.Text.Json.JsonSerializer.Deserialize<string[]>(json) ?? [] : [];

byte[] rgb = Resize.Bicubic(image.Data, image.Width, image.Height, size);
var input = new float[3 * size * size];                        // [1, 3, size, size], (x / 255 - mean) / std
for (int c = 0; c < 3; c++)
    for (int p = 0; p < size * size; p++)
        input[c * size * size + p] = (rgb[p * 3 + c] / 255f - mean[c]) / std[c];

using var images = OrtValue.CreateTensorValueFromMemory(input, [1, 3, size, size]);
using var run = new RunOptions();
using var outputs = session.Run(run, new Dictionary<string, OrtValue> { ["images"] = images }, ["logits"]);
float[] logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
float max = logits.Max();
double sum = logits.Sum(l => Math.Exp(l - max));
foreach (var (p, k) in logits.Select((l, k) => (Math.Exp(l - max) / sum, k)).OrderByDescending(t => t.Item1).Take(5))
    Console.WriteLine($"{(k < names.Length ? names[k] : $"class {k}"),-16} {p:P1}");
return 0;

/// <summary>Pillow-style bicubic resize (a = -0.5, kernel widened when shrinking), separable, in floating point:
/// within one grey level of Pillow's fixed-point result that sls uses.</summary>
internal static class Resize
{
    public static byte[] Bicubic(byte[] src, int w, int h, int size)
    {
        if (w == size && h == size) return src;
        var tmp = Pass(src, w, h, size, horizontal: true);         // size x h
        return Pass(tmp, size, h, size, horizontal: false);        // size x size
    }

    private static double Cubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        return x < 1 ? ((a + 2) * x - (a + 3)) * x * x + 1 : x < 2 ? (((x - 5) * x + 8) * x - 4) * a : 0;
    }

    private static byte[] Pass(byte[] src, int w, int h, int size, bool horizontal)
    {
        int inLen = horizontal ? w : h, outW = horizontal ? size : w, outH = horizontal ? h : size;
        double scale = (double)inLen / size, filter = Math.Max(scale, 1), support = 2 * filter;
        var dst = new byte[outW * outH * 3];
        for (int o = 0; o < size; o++)
        {
            double centre = (o + 0.5) * scale;
            int lo = Math.Max(0, (int)(centre - support + 0.5)), hi = Math.Min(inLen, (int)(centre + support + 0.5));
            var weights = Enumerable.Range(lo, hi - lo).Select(i => Cubic((i - centre + 0.5) / filter)).ToArray();
            double total = weights.Sum();
            int lines = horizontal ? h : w;
            for (int line = 0; line < lines; line++)
                for (int c = 0; c < 3; c++)
                {
                    double acc = 0;
                    for (int i = lo; i < hi; i++)
                        acc += weights[i - lo] * src[(horizontal ? line * w + i : i * w + line) * 3 + c];
                    dst[(horizontal ? line * size + o : o * w + line) * 3 + c] = (byte)Math.Clamp(Math.Round(acc / total), 0, 255);
                }
        }
        return dst;
    }
}
