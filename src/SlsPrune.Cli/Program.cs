namespace SlsPrune.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args) => SlsCli.RunAsync(args, Console.Out, Console.Error);
}
