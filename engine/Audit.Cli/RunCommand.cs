using System.CommandLine;
using Audit.Core;

namespace Audit.Cli;

/// <summary>`audit run` (collect when asked, then audit) and `audit evaluate` (audit a given snapshot).</summary>
internal static class RunCommand
{
    public static Command Create(CliContext ctx, string name, bool snapshotRequired, string description)
    {
        // One line of exit codes here (the full table is in 'audit --help'), so the root command list stays readable.
        var cmd = new Command(name, description + Environment.NewLine +
            $"Exit codes: {CliApp.ExitCodeSummary(ExitCodes.Compliant, ExitCodes.Failed, ExitCodes.Incomplete, ExitCodes.Usage, ExitCodes.InvalidInput, ExitCodes.Unsupported)} (see 'audit --help').");
        var o = new EvaluateOptions();
        if (snapshotRequired)
        {
            o.Snapshot.Required = true;
        }
        else
        {
            o.Snapshot.Description += " [default: samples/estate.snapshot.json]";
        }
        o.AddTo(cmd);
        // 'run' chains collection and evaluation: with hosts, --local or --directory it collects into OUT/snapshot.json first.
        var collect = snapshotRequired ? null : new CollectOptions();
        collect?.AddTo(cmd, withOut: false);
        HelpLayout.Group(cmd, "Input options", o.Snapshot, o.Rules, o.Param, o.Nightly.ParamsFile, o.MaxInputMb);
        HelpLayout.Group(cmd, "Rule selection options", o.Nightly.Include, o.Nightly.Exclude, o.Nightly.MinSeverity);
        HelpLayout.Group(cmd, "Verdict and waiver options", o.FailOn, o.Nightly.FailOnNew, o.CheckTimeout, o.Nightly.Waivers, o.Nightly.WaiverWarnDays);
        HelpLayout.Group(cmd, "Output options", o.Out, o.Format, o.Template, o.Quiet);
        HelpLayout.Group(cmd, "History and drift options", o.Nightly.History, o.Nightly.HistoryKeep, o.Nightly.HistoryWait, o.Nightly.Baseline);
        if (collect is not null)
        {
            collect.GroupInHelp(cmd, "Collection options ('run' collects first)");
            OptionChecks.Validate(cmd, r =>
            {
                if (collect.Requested(r) && OptionChecks.ValueOf(r, o.Snapshot) is not null)
                {
                    r.AddError("--snapshot and collection options (--hosts, --hosts-file, --local, --directory) exclude each other: 'run' either collects a snapshot or audits a given one");
                }
            });
            collect.Validate(cmd, ctx, whenRequested: true);
        }
        cmd.SetAction(r => collect is not null && collect.Requested(r.CommandResult) ? CollectThenRun(ctx, r, o, collect) : new AuditRunner(ctx).Run(o.Parse(r)));
        return cmd;
    }

    /// <summary>'run' with hosts or a directory: collects into OUT/snapshot.json, then audits it (also when collection was incomplete).</summary>
    private static int CollectThenRun(CliContext ctx, ParseResult r, EvaluateOptions o, CollectOptions collect)
    {
        var settings = o.Parse(r);
        var snapshot = Path.Combine(settings.Out, "snapshot.json");
        // Every run option is checked (while parsing) and the template parsed before any host is contacted.
        AuditRunner.CheckTemplate(ctx, settings.Template);
        var collected = new CollectRun(ctx).Run(collect.Request(r.CommandResult, ctx) with { Out = snapshot });
        if (collected is not ExitCodes.Compliant and not ExitCodes.Incomplete)
        {
            return collected;
        }
        return new AuditRunner(ctx).Run(settings with { Snapshot = snapshot });
    }
}
