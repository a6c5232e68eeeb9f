namespace SlsPrune.Cli;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        MallocSettings.Apply();
        int code = await SlsCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
        QuickExit.Now(code);
        return code;
    }
}
