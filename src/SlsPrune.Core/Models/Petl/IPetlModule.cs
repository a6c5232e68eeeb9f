namespace SlsPrune.Core.Models.Petl;

/// <summary>A module a PETL method puts into a slot that is not an adapter (LoRA's linear layers): it can be
/// re-initialised as its reference code does before training.</summary>
public interface IPetlModule
{
    void ResetPetl();
}
