namespace SlsPrune.Core.Runtime;

/// <summary>Derived seeds that do not depend on thread scheduling (splitmix64-style mixing).</summary>
public static class Seeds
{
    /// <summary>A seed for (seed, a, b): for example (seed, task, image) or (seed, epoch, stream).</summary>
    public static int Mix(int seed, int a, int b)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)a * 0xBF58476D1CE4E5B9UL ^ (ulong)(uint)b * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }
}
