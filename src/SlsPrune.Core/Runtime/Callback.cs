namespace SlsPrune.Core.Runtime;

/// <summary>Progress reported synchronously, on the reporting thread and in order (unlike
/// <see cref="Progress{T}"/>, which posts to a synchronisation context).</summary>
public sealed class Callback<T>(Action<T> action) : IProgress<T>
{
    public void Report(T value) => action(value);
}
