using System.CommandLine;
using Audit.Collectors.Estate;
using Audit.Core;
using Audit.Core.Loading;
using Audit.Core.Snapshots;

namespace Audit.Cli;

/// <summary>`audit collect` (hosts over CIM, directory over LDAP) and `audit snapshot merge`.</summary>
internal static class CollectCommands
{
    public const string PlatformMessage =
        "audit: --transport mi, --dcom and --local need Windows (CIM through Microsoft.Management.Infrastructure cannot run on this platform): run 'audit collect' on a Windows machine and evaluate the snapshot anywhere with 'audit evaluate --snapshot FILE', or reach hosts over WinRM from here with our WS-Management client, the default here ('--transport wsman'; Kerberos: a ticket from kinit, or --user and --password-env).";

    public static IEnumerable<Command> All(CliContext ctx)
    {
        yield return Collect(ctx);
        yield return Snapshot(ctx);
    }

    private static Command Collect(CliContext ctx)
    {
        var cmd = new Command("collect", """
            Collect host facts over CIM (Windows only: WinRM by default) and/or directory facts over LDAP (any platform) into a snapshot.
            Every host requested appears in the snapshot, with a status per collector (ok, error with the CIM code, unsupported with the reason).
            --preflight only connects and reads one thing per namespace, and prints a table host x check with the fix for each failure.
            --record DIR keeps every raw answer per host (DIR/HOST.cim.json); --replay DIR plays such recordings through the same collectors, on any OS.
            Exit codes: 0 everything collected (with --preflight: every host ready); 2 snapshot written but some collection failed or was cancelled (Ctrl+C), or a host not ready; 64 usage error; 65 invalid hosts file or recording; 69 hosts requested on a platform where CIM cannot run; 74 the recording cannot be written (it would hold the password).
            """);
        var o = new CollectOptions();
        o.AddTo(cmd, withOut: true);
        o.AddCollectOnly(cmd);
        o.GroupInHelp(cmd, "Collection options");
        o.Validate(cmd, ctx, whenRequested: false);
        cmd.SetAction(r => new CollectRun(ctx).Run(o.Request(r.CommandResult, ctx)));
        return cmd;
    }

    private static Command Snapshot(CliContext ctx)
    {
        var cmd = new Command("snapshot", "Work with snapshot files.");
        var merge = new Command("merge", "Join snapshots collected separately into one estate. A host in two inputs is an error (AUD0040, exit 65), never overwritten; directories of the same domain are joined.");
        var inputs = new Argument<string[]>("SNAPSHOT") { Description = "Snapshot files to join (two or more).", Arity = new ArgumentArity(2, 1000) };
        var output = new Option<string>("--out") { Description = "Merged snapshot to write.", HelpName = "FILE", Required = true };
        merge.Arguments.Add(inputs);
        merge.Options.Add(output);
        merge.SetAction(r => Merge(ctx, r.GetValue(inputs) ?? [], r.GetValue(output)!));
        cmd.Subcommands.Add(merge);
        return cmd;
    }

    private static int Merge(CliContext ctx, string[] inputs, string output)
    {
        var loaded = new List<LoadedJson<Snapshot>>();
        var diagnostics = new List<Diagnostic>();
        foreach (var input in inputs)
        {
            try
            {
                // Each shard's bytes are dropped once it is read: ten shards of 1,000 hosts held 1.1 GB of them until the
                // merged file was written. A position for a diagnostic (a host in two shards) reads its file again.
                var path = ctx.Env.Resolve(input);
                loaded.Add(SnapshotLoader.Load(path, displayPath: input).WithoutBytes(path));
            }
            catch (InputException e)
            {
                diagnostics.AddRange(e.Diagnostics);
            }
        }
        if (diagnostics.Count > 0)
        {
            throw new InputException(diagnostics);
        }
        var merged = SnapshotMerger.Merge(loaded, new ToolInfo { Name = "audit", Version = ctx.Env.Build.Version });
        CollectPipeline.WriteSnapshot(ctx.Env.Resolve(output), output, merged);
        ctx.Out.WriteLine(CliContext.Sanitize($"Merged {inputs.Length} snapshots: {merged.Hosts.Count} hosts{(merged.Directory is null ? "" : $", directory {merged.Directory.Domain}")}{(merged.Complete ? "" : " (incomplete: an input was incomplete)")}; wrote {output}"));
        return ExitCodes.Compliant;
    }
}
