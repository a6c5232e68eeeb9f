using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>Distillation retraining: the loss against a hand computation, and retraining a pruned model from its
/// unpruned teacher (weight 0 is plain cross-entropy; the teacher changes the fit otherwise).</summary>
[Collection(nameof(GlobalTorchRng))]
public class DistillTests
{
    [Fact]
    public void The_distilled_loss_is_the_weighted_sum_of_cross_entropy_and_temperature_scaled_kl()
    {
        using var logits = torch.tensor(new float[] { 1f, 2f, 0.5f, -1f, 0f, 3f }, [2, 3]);
        using var teacherLogits = torch.tensor(new float[] { 2f, 0f, 1f, 0.5f, 0.5f, 1f }, [2, 3]);
        using var ce = torch.tensor(0.75f);
        var s = new DistillSettings(Temperature: 2.0, Weight: 0.3);
        using var loss = PetlFit.Distilled(ce, logits, logits, new Teacher(_ => teacherLogits, s));

        double kl = 0;
        float[] st = logits.data<float>().ToArray(), te = teacherLogits.data<float>().ToArray();
        for (int b = 0; b < 2; b++)
        {
            double[] Soft(float[] z)
            {
                var e = Enumerable.Range(0, 3).Select(c => Math.Exp(z[b * 3 + c] / 2.0)).ToArray(); double sum =
                e.Sum(); return e.Select(v => v / sum).ToArray();
            }
            double[] p = Soft(te), q = Soft(st);
            kl += Enumerable.Range(0, 3).Sum(c => p[c] * Math.Log(p[c] / q[c]));
        }
        Assert.Equal(0.7 * 0.75 + 0.3 * 4 * (kl / 2), loss.item<float>(), 5);
        Assert.Throws<SlsInputException>(() => new DistillSettings(0, 0.5).Validate());
        Assert.Throws<SlsInputException>(() => new DistillSettings(4, 1.5).Validate());
    }

    [Fact]
    public void Retraining_a_pruned_model_distils_from_the_unpruned_one()
    {
        string task = TrainingTests.PatternTask(), dir = Directory.CreateTempSubdirectory("sls-distill-").FullName;
        var model = new ModelOptions(Fixtures.File("backbone.safetensors"), Heads: 3, Device: "cpu", BatchSize: 16);
        var petl = new PetlSettings(new ConvpassMethod(), 8, 0.7);
        string index = Path.Combine(dir, "two.sls.json"), tuned = Path.Combine(dir, "task.safetensors");
        PetlTrainer.Run(new TrainOptions(model, task, petl, tuned, Epochs: 2, WarmupEpochs: 1, Lr: 5e-3, EvalEvery: 1));
        var bi = PruneMethods.Get("bi");
        PruneRunner.Run(new PruneOptions(model with { Petl = tuned }, task, bi,
            bi.ReadOptions(new System.Text.Json.Nodes.JsonObject { ["keep_blocks"] = 2 }, "test"), Out: index));

        TrainResult Retrain(string name, DistillSettings? distill) => Retraining.Run(new TrainOptions(model, task, petl, Path.Combine(dir, name),
            Epochs: 3, WarmupEpochs: 1,
            Lr: 5e-3, EvalEvery: 1, InitFrom: tuned)
        { Distill = distill, DistillFrom = distill is null ? null : tuned }, index, allowMismatch: false);

        var plain = Retrain("plain.safetensors", null);
        var zero = Retrain("zero.safetensors", new DistillSettings(4, 0));
        var half = Retrain("half.safetensors", new DistillSettings(4, 0.5));
        Assert.Equal(plain.History.Select(h => h.Loss), zero.History.Select(h => h.Loss));
        Assert.NotEqual(plain.History[0].Loss, half.History[0].Loss);
        Assert.NotEqual(plain.History[^1].Loss, half.History[^1].Loss);

        var missing = Assert.Throws<SlsInputException>(() => Retraining.Run(new TrainOptions(model, task, petl, Path.Combine(dir, "m.safetensors"),
            Epochs: 1,
            InitFrom: tuned)
        { Distill = new DistillSettings() }, index, allowMismatch: false));
        Assert.Equal("--distill: needs the unpruned model's PETL file as the teacher (--init-from)", missing.Message);
    }
}
