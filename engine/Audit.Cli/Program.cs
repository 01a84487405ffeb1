using System.Runtime.InteropServices;
using Audit.Core;

namespace Audit.Cli;

internal static class Program
{
    /// <summary>How long work may take to stop after Ctrl+C or SIGTERM before the process exits regardless.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    public static int Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        var exitCode = 0;
        void Stop(PosixSignalContext context, int code)
        {
            // The first signal asks work to stop cleanly (collection still writes a snapshot marked incomplete,
            // outputs are not replaced); a second one, or work that does not stop in time, ends the process.
            context.Cancel = true;
            if (Interlocked.CompareExchange(ref exitCode, code, 0) != 0)
            {
                Environment.Exit(exitCode);
            }
            cancel.Cancel();
            _ = Task.Delay(StopGrace).ContinueWith(_ => Environment.Exit(code), TaskScheduler.Default);
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Stop(c, ExitCodes.Interrupted));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Stop(c, ExitCodes.Terminated));
        var result = CliApp.Run(args, Console.Out, Console.Error, CliEnvironment.FromProcess(), cancel.Token);
        return result == ExitCodes.Interrupted && Volatile.Read(ref exitCode) == ExitCodes.Terminated ? ExitCodes.Terminated : result;
    }
}
