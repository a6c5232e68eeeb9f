namespace SlsPrune.Cli;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        MallocSettings.Apply();
        OmpThreads.Apply(Console.Error);
        JitProfile.Start(args);
        int code = await SlsCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
        JitProfile.Save(code);
        QuickExit.Now(code);
        return code;
    }
}
