using SlsPrune.Core.Evaluation;
using SlsPrune.Core.Export;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Core.Tests;

/// <summary>The ONNX Runtime engine computes on the thread budget. It reads the per-process budget, so it runs with no
/// other test (one of which sets the budget for a moment).</summary>
[Collection(nameof(GlobalTorchRng))]
public class OnnxThreadsTests
{
    [Fact]
    public void Onnx_runtime_computes_on_the_thread_budget_not_every_core()
    {
        // ONNX Runtime's own default is every physical core, whatever --threads or the Slurm allocation says
        using var built = ModelFactory.Build(new ModelOptions(Fixtures.File("backbone.safetensors"), Fixtures.File("linear.safetensors"), Heads: 3,
            Device: "cpu"));
        string dir = Directory.CreateTempSubdirectory("sls-ort-threads-").FullName;
        try
        {
            string path = Path.Combine(dir, "threads.onnx");
            ExportRunner.Write(built, new OnnxExport(), path);
            using var budget = OnnxRuntimeModel.Open(path);
            using var one = OnnxRuntimeModel.Open(path, threads: 1);
            Assert.Equal(ThreadBudget.Threads, budget.Threads);
            Assert.Equal(1, one.Threads);
            var images = Fixtures.Expected()["images"];
            using var a = budget.Forward(images);
            using var b = one.Forward(images);
            Assert.InRange(Fixtures.RelativeError(b, a), 0, 1e-6);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
