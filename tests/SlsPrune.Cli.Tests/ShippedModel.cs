namespace SlsPrune.Cli.Tests;

/// <summary>The shipped model's files (<c>models/fmnist-vit8</c>), for the tests that run <c>sls</c> on a real model.</summary>
internal static class ShippedModel
{
    public static string File(params string[] parts) => Path.Combine([ShippedModelTests.RepoRoot(), "models", "fmnist-vit8", .. parts]);

    public static string Backbone => File("backbone.safetensors");

    public static string Petl => File("structured-location.convpass.safetensors");

    /// <summary>The calibration split of the <c>structured-location</c> task (1000 images, 5 named classes).</summary>
    public static string Task => File("calibration", "structured-location");
}
