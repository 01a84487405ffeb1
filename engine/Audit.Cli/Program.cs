namespace Audit.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl+C asks work to stop cleanly (collection still writes a snapshot marked incomplete).
            e.Cancel = true;
            cancel.Cancel();
        };
        return CliApp.Run(args, Console.Out, Console.Error, CliEnvironment.FromProcess(), cancel.Token);
    }
}
