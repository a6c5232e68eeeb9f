using TorchSharp;

namespace SlsPrune.Core.Runtime;

/// <summary>
/// Scalars that live for the whole process. TorchSharp creates a temporary Scalar for every implicit
/// conversion (<c>t * 1.702</c>) and every default <c>alpha</c> (<c>a + b</c>), and does not keep it alive across
/// the native call, so under GC pressure a finalizer can free it mid-call (an intermittent native
/// "Scalar toDouble/toFloat" error). Code on hot paths uses these, or Scalars it owns, with explicit alphas.
/// </summary>
public static class Scalars
{
    public static readonly Scalar One = 1.0f.ToScalar();

    public static readonly Scalar Half = 0.5f.ToScalar();
}
