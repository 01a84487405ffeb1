using Audit.Collectors.Estate;
using Audit.Core;

namespace Audit.Cli;

/// <summary>`audit collect` (and the collection `audit run` starts with): <see cref="CollectPipeline.Run"/>, printed, mapped to an exit code.</summary>
internal sealed class CollectRun(CliContext ctx)
{
    public int Run(CollectRequest request)
    {
        var progress = new CollectProgress(ctx);
        CollectResult result;
        try
        {
            result = CollectPipeline.Run(request, progress, ctx.Cancel);
        }
        finally
        {
            progress.Finish();
        }
        if (result.Unsupported)
        {
            ctx.Err.WriteLine(CollectCommands.PlatformMessage);
            return ExitCodes.Unsupported;
        }
        if (result.Preflight is { } checks)
        {
            foreach (var line in Audit.Collectors.Preflight.PreflightRunner.Format(checks).Split('\n').SkipLast(1))
            {
                ctx.Out.WriteLine(CliContext.Sanitize(line));
            }
            var recorded = Recording(result.Recording, request.Record);
            return recorded != ExitCodes.Compliant ? recorded : checks.All(c => c.Ready) ? ExitCodes.Compliant : ExitCodes.Incomplete;
        }
        var collected = result.Estate!;
        ctx.Out.WriteLine(CliContext.Sanitize($"Collected {collected.Describe(result.HostsAsked)}{(collected.Snapshot.Complete ? "" : " (INCOMPLETE: cancelled)")}; wrote {request.Out}"));
        if (result.ReplayMisses.Count > 0)
        {
            ctx.Err.WriteLine(CliContext.Sanitize($"audit: {result.ReplayMisses.Count} question(s) the recordings do not answer (errors in the snapshot), first: {result.ReplayMisses[0]}"));
        }
        var saved = Recording(result.Recording, request.Record);
        return saved != ExitCodes.Compliant ? saved : collected.Clean ? ExitCodes.Compliant : ExitCodes.Incomplete;
    }

    /// <summary>Says where the recording went; 74 when nothing was written (it would hold the password, or the folder refused it).</summary>
    private int Recording(RecordingSaved? saved, string? folder)
    {
        if (saved is null)
        {
            return ExitCodes.Compliant;
        }
        if (saved.Error is { } error)
        {
            ctx.Err.WriteLine(CliContext.Sanitize($"audit: error {DiagnosticCodes.CannotWrite}: {error}"));
            return ExitCodes.CannotWrite;
        }
        ctx.Out.WriteLine(CliContext.Sanitize($"Recorded {saved.Hosts} host(s) into {folder}"));
        return ExitCodes.Compliant;
    }

    /// <summary>Reads the hosts' password from the terminal without echo (<see cref="CollectRequest.PasswordFor"/>).</summary>
    public static string PromptPassword(CliContext ctx, string user)
    {
        ctx.Err.Write(CliContext.Sanitize($"Password for {user} (hosts): "));
        var password = new System.Text.StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace)
            {
                password.Length = Math.Max(0, password.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }
        ctx.Err.WriteLine();
        return password.Length > 0 ? password.ToString() : throw new UsageException($"an empty password was entered for {user}");
    }
}
