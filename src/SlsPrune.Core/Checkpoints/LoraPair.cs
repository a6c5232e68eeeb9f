namespace SlsPrune.Core.Checkpoints;

/// <summary>One LoRA pair of a PEFT adapter: the module it sits beside (its name in the model PEFT wrapped), the
/// block it belongs to, its rank and alpha (from <c>r</c> / <c>lora_alpha</c> or the patterns), the scaling PEFT
/// multiplies <c>B A</c> by, and the adapter's tensor names.</summary>
public sealed record LoraPair(string Module, int Block, string Slot, int Rank, double Alpha, double Scale, string A, string B);
