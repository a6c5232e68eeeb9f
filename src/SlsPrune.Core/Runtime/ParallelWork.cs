using System.Runtime.ExceptionServices;

namespace SlsPrune.Core.Runtime;

/// <summary><see cref="Parallel.For(int, int, Action{int})"/> that rethrows the first failure itself (an input
/// error stays an input error) instead of an <see cref="AggregateException"/>, on at most <see cref="ThreadBudget.Threads"/> threads.</summary>
public static class ParallelWork
{
    /// <param name="threads">at most this many threads (default <see cref="ThreadBudget.Threads"/>): a caller that is itself one of
    /// several side by side takes its share.</param>
    public static void For(int count, Action<int> body, int? threads = null)
    {
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads ?? ThreadBudget.Threads) }, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            var first = e.InnerExceptions.OfType<SlsInputException>().FirstOrDefault() ?? e.InnerExceptions[0];
            ExceptionDispatchInfo.Capture(first).Throw();
            throw;
        }
    }
}
