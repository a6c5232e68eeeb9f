namespace SlsPrune.Core.Training;

/// <summary>
/// timm's <c>CosineLRScheduler(t_initial=epochs, warmup_t, lr_min, warmup_lr_init)</c> stepped once per epoch,
/// as the Convpass / SLS reference code uses it: linear warm-up from <c>warmup_lr_init</c> over the first
/// <c>warmup_t</c> epochs, then <c>lr_min + (lr - lr_min) (1 + cos(pi t / t_initial)) / 2</c> with t the epoch
/// (not shifted by the warm-up). <see cref="Constant"/> gives a flat rate (the reference's "FT" retraining).
/// </summary>
public sealed record LrSchedule(double BaseLr, int Epochs, int WarmupEpochs, double MinLr, double WarmupInitLr = 1e-6, bool Constant = false)
{
    public double At(int epoch)
    {
        if (Constant) return BaseLr;
        if (epoch < WarmupEpochs) return WarmupInitLr + epoch * (BaseLr - WarmupInitLr) / WarmupEpochs;
        return MinLr + 0.5 * (BaseLr - MinLr) * (1 + Math.Cos(Math.PI * epoch / Epochs));
    }
}
