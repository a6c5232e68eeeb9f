using System.Runtime.ExceptionServices;

namespace SlsPrune.Core.Runtime;

/// <summary><see cref="Parallel.For(int, int, Action{int})"/> that rethrows the first failure itself (an input
/// error stays an input error) instead of an <see cref="AggregateException"/>, on at most <see cref="ThreadBudget.Threads"/> threads.</summary>
public static class ParallelWork
{
    public static void For(int count, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = ThreadBudget.Threads }, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            var first = e.InnerExceptions.OfType<SlsInputException>().FirstOrDefault() ?? e.InnerExceptions[0];
            ExceptionDispatchInfo.Capture(first).Throw();
            throw;
        }
    }
}
