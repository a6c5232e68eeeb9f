namespace SlsPrune.Core.Models.Petl.Methods;

/// <summary>Head only (linear probe): no module in any slot.</summary>
public sealed class LinearProbe : PetlMethod
{
    public override string Name => "linear";

    public override bool Detect(IReadOnlyCollection<string> names) => false;

    public override bool NeedsScale => false;
}
