using SlsPrune.Core.Batch;

namespace SlsPrune.Core.Tests;

/// <summary>A speed-up inside the timings' noise, or of a model that computes what the full one does, is flagged.</summary>
public class SpeedNoiseTests
{
    [Fact]
    public void Every_block_kept_is_the_same_model_timed_twice_whatever_the_ratio()
    {
        Assert.Equal(SpeedNoise.SameFlops, SpeedNoise.Judge(1.33, 1.0, 0.02, 0.02));
        Assert.Equal(SpeedNoise.SameFlops, SpeedNoise.Judge(1.33, 1.0, null, null));
    }

    [Fact]
    public void A_speed_up_inside_the_larger_repeat_spread_is_noise_and_one_outside_is_not()
    {
        Assert.Equal(SpeedNoise.WithinNoise, SpeedNoise.Judge(1.08, 0.75, 0.10, 0.03));
        Assert.Equal(SpeedNoise.WithinNoise, SpeedNoise.Judge(1 / 1.08, 0.75, 0.03, 0.10)); // a slow-down as well
        Assert.Null(SpeedNoise.Judge(1.12, 0.75, 0.10, 0.03));
        Assert.Null(SpeedNoise.Judge(1.33, 0.75, 0.02, 0.05));
        Assert.Null(SpeedNoise.Judge(1.01, 0.75, null, null)); // no spread recorded (older results): nothing to judge by
    }

    [Fact]
    public void The_spread_of_a_measurement_is_its_range_over_its_median()
    {
        var t = Evaluation.ThroughputResult.Of(64, [0.2, 0.1, 0.12, 0.11, 0.1]);
        Assert.Equal(0.11 * 1000, t.MedianLatencyMs, 9);
        Assert.Equal(64 / 0.11, t.ImagesPerSecond, 9);
        Assert.Equal((0.2 - 0.1) / 0.11, t.Spread!.Value, 12);
        Assert.Equal(5, t.Repeats);
    }
}
