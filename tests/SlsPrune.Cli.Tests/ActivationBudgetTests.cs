namespace SlsPrune.Cli.Tests;

/// <summary>An input size and batch size whose activations cannot fit are refused before the first batch (a Swin at
/// --image-size 4096 was killed by the kernel at 23 GB after 105 s; a ViT at 1024 px ran for 14 minutes and did not
/// stop on SIGTERM within its first batch), naming what to lower; what fits runs.</summary>
public class ActivationBudgetTests
{
    private static string Hostile(string name) => Path.Combine(AppContext.BaseDirectory, "hostile", name);

    [Fact]
    public void A_batch_whose_activations_cannot_fit_is_refused_with_the_size_that_fits()
    {
        var (code, stdout, err) = CliRunner.Run("eval", "--backbone", Path.Combine(AppContext.BaseDirectory, "fixtures", "swin", "a.pth"), "--data",
            Hostile("task-ok"),
            "--split", "train800val200", "--image-size", "4096", "--allow-class-mismatch", "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("sls: --batch-size: 64 images at 4096 px take about 18.8 GiB of activations per block, more than the 8 GiB bound; use "
            + "--batch-size 27 or less, or a smaller --image-size",
            err.Trim().Split('\n')[^1]);
    }

    [Fact]
    public void An_image_size_whose_single_image_cannot_fit_is_refused_and_a_fitting_one_runs()
    {
        string[] vit = ["eval", "--backbone", CliRunner.Fixture("backbone.safetensors"), "--petl", CliRunner.Fixture("convpass.safetensors"),
            "--heads", "3",
            "--data", Hostile("task-ok"), "--split", "train800val200", "--allow-class-mismatch", "--device", "cpu"];
        var (code, _, err) = CliRunner.Run([.. vit, "--image-size", "1024"]);
        Assert.Equal(2, code);
        Assert.Equal("sls: --image-size: at 1024 px one image's activations take about 9 GiB per block, more than the 8 GiB bound; use a smaller "
            + "--image-size",
            err.Trim().Split('\n')[^1]);
        var (ok, _, okErr) = CliRunner.Run([.. vit, "--image-size", "64", "--batch-size", "8"]);
        Assert.True(ok == 0, okErr);
    }
}
