using System.CommandLine;
using Audit.Core;
using Audit.Core.Results;

namespace Audit.Cli;

/// <summary>Builds the subcommands.</summary>
internal static class Commands
{
    public static IEnumerable<Command> All(CliContext ctx)
    {
        yield return RunCommand(ctx, "run", snapshotRequired: false,
            "Audit an estate: load the rule set and a snapshot (default: the bundled sample), evaluate, write reports and print a summary.");
        yield return RunCommand(ctx, "evaluate", snapshotRequired: true,
            "Evaluate a given snapshot (collected earlier, anywhere) against the rule set and write reports.");
        yield return ValidateCommand(ctx);
        yield return RulesCommand(ctx);
        yield return TestCommand.Create(ctx);
        yield return ReportCommand(ctx);
        yield return DiffCommand(ctx);
        foreach (var c in CollectCommands.All(ctx)) { yield return c; }
        yield return GenerateCommand.Create(ctx);
    }

    private static Command ReportCommand(CliContext ctx)
    {
        var cmd = new Command("report", "Re-render reports from a results.json written earlier (same HTML, JUnit and console output as the run that wrote it). Exit 0 once written, 65 if the results file is invalid.");
        var results = new Option<string>("--results") { Description = "results.json of an earlier run.", HelpName = "FILE", Required = true };
        var format = SharedOptions.Formats();
        var output = new Option<string>("--out") { Description = "Output folder.", HelpName = "DIR", DefaultValueFactory = _ => "out" };
        var template = SharedOptions.Template();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the one-line verdict." };
        var maxInput = SharedOptions.MaxInputMb();
        foreach (var o in new Option[] { results, format, output, template, quiet, maxInput })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r => new AuditRunner(ctx).Report(r.GetValue(results)!, SharedOptions.FormatsOf(r, format), r.GetValue(output) ?? "out", r.GetValue(template), r.GetValue(quiet), SharedOptions.MaxInputBytesOf(r, maxInput)));
        return cmd;
    }

    private static Command DiffCommand(CliContext ctx)
    {
        var cmd = new Command("diff", "Print what changed between two results.json files: new failures first, then failures whose waiver expired, newly waived, resolved, still failing, hosts/VMs/rules added or removed. Exit 0 when both files are readable (65 otherwise), whatever changed.");
        var older = new Argument<string>("OLD") { Description = "The earlier results.json (the baseline)." };
        var newer = new Argument<string>("NEW") { Description = "The later results.json." };
        cmd.Arguments.Add(older);
        cmd.Arguments.Add(newer);
        var maxInput = SharedOptions.MaxInputMb();
        cmd.Options.Add(maxInput);
        cmd.SetAction(r => new AuditRunner(ctx).Diff(r.GetValue(older)!, r.GetValue(newer)!, SharedOptions.MaxInputBytesOf(r, maxInput)));
        return cmd;
    }

    private static Command RulesCommand(CliContext ctx)
    {
        var cmd = new Command("rules", "List the rules (id, severity, scope, title), or write the catalogue as Markdown, one page per rule, with --docs.");
        var rules = SharedOptions.Rules();
        var docs = new Option<string?>("--docs") { Description = "Write one Markdown page per rule (rationale, applicability, check, evidence, remediation, references) and an index into this folder.", HelpName = "DIR" };
        cmd.Options.Add(rules);
        cmd.Options.Add(docs);
        cmd.SetAction(r => new AuditRunner(ctx).Rules(r.GetValue(rules) ?? [], r.GetValue(docs)));
        return cmd;
    }

    /// <summary>Options shared by run and evaluate.</summary>
    internal sealed class EvaluateOptions
    {
        public Option<string?> Snapshot { get; } = new("--snapshot") { Description = "Snapshot file to audit.", HelpName = "FILE" };
        public Option<string[]> Rules { get; } = SharedOptions.Rules();
        public Option<string> Out { get; } = new("--out") { Description = "Output folder.", HelpName = "DIR", DefaultValueFactory = _ => "out" };
        public Option<string> FailOn { get; } = SharedOptions.SeverityOption("--fail-on", "Lowest severity whose failure fails the run (exit 1): critical, high, medium, low, info.", "high");
        public Option<string[]> Format { get; } = SharedOptions.Formats();
        public Option<string[]> Param { get; } = new("--param") { Description = "Override a rule-set parameter: name=value or ruleSetId.name=value; repeatable.", HelpName = "NAME=VALUE" };
        public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print only the one-line verdict." };
        public Option<long> MaxInputMb { get; } = SharedOptions.MaxInputMb();
        public Option<double> CheckTimeout { get; } = new("--check-timeout") { Description = "Seconds one check (a rule on one entity) may take before it is abandoned as an error verdict.", HelpName = "SECONDS", DefaultValueFactory = _ => 30 };
        public Option<string?> Template { get; } = SharedOptions.Template();
        public NightlyOptions Nightly { get; } = new();

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { Snapshot, Rules, Out, FailOn, Format, Param, Quiet, MaxInputMb, CheckTimeout, Template })
            {
                c.Options.Add(o);
            }
            Nightly.AddTo(c);
        }
    }

    private static Command RunCommand(CliContext ctx, string name, bool snapshotRequired, string description)
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
        collect?.GroupInHelp(cmd, "Collection options ('run' collects first)");
        cmd.SetAction(r =>
        {
            var settings = new RunSettings
            {
                Snapshot = r.GetValue(o.Snapshot),
                Rules = r.GetValue(o.Rules) ?? [],
                Out = r.GetValue(o.Out) ?? "out",
                FailOn = SharedOptions.SeverityOf(r, o.FailOn) ?? Severity.High,
                Formats = SharedOptions.FormatsOf(r, o.Format),
                Parameters = ParseParams(r.GetValue(o.Param)),
                Quiet = r.GetValue(o.Quiet),
                MaxInputBytes = SharedOptions.MaxInputBytesOf(r, o.MaxInputMb),
                Template = r.GetValue(o.Template),
                CheckTimeout = r.GetValue(o.CheckTimeout) is var ct && ct > 0 && ct <= 86400 ? TimeSpan.FromSeconds(ct) : throw new UsageException($"--check-timeout {ct} must be more than 0 and at most 86400 seconds"),
                Nightly = o.Nightly.Parse(r),
            };
            if (collect is not null && collect.Requested(r))
            {
                if (settings.Snapshot is not null)
                {
                    throw new UsageException("--snapshot and collection options (--hosts, --hosts-file, --local, --directory) exclude each other: 'run' either collects a snapshot or audits a given one");
                }
                var outDir = r.GetValue(o.Out) ?? "out";
                var snapshot = Path.Combine(outDir, "snapshot.json");
                // Every run option is checked (above) and the template parsed before any host is contacted.
                AuditRunner.CheckTemplate(ctx, settings.Template);
                var collected = new CollectRun(ctx).Run(collect.Parse(r) with { Out = snapshot });
                if (collected is not ExitCodes.Compliant and not ExitCodes.Incomplete)
                {
                    return collected;
                }
                settings = settings with { Snapshot = snapshot };
            }
            return new AuditRunner(ctx).Run(settings);
        });
        return cmd;
    }

    private static Command ValidateCommand(CliContext ctx)
    {
        var cmd = new Command("validate", "Check rule sets (schema, every expression, allow-list) and snapshots (schema) without evaluating anything. Exit 0 when clean, 65 with file(line,col) diagnostics otherwise.");
        var rules = SharedOptions.Rules();
        var snapshots = new Option<string[]>("--snapshot") { Description = "Snapshot file to validate; repeatable.", HelpName = "FILE" };
        var param = new Option<string[]>("--param") { Description = "Parameter override to check: name=value; repeatable.", HelpName = "NAME=VALUE" };
        cmd.Options.Add(rules);
        cmd.Options.Add(snapshots);
        cmd.Options.Add(param);
        var waivers = new Option<string?>("--waivers") { Description = "Waivers file to check against the rule sets (dates, patterns, rule ids).", HelpName = "FILE" };
        var paramsFile = new Option<string?>("--params") { Description = "Parameter values file to check against the declared types.", HelpName = "FILE" };
        cmd.Options.Add(waivers);
        cmd.Options.Add(paramsFile);
        cmd.SetAction(r => new AuditRunner(ctx).Validate(r.GetValue(rules) ?? [], r.GetValue(snapshots) ?? [], ParseParams(r.GetValue(param)),
            new NightlySettings { Waivers = r.GetValue(waivers), ParamsFile = r.GetValue(paramsFile) }));
        return cmd;
    }

    internal static IReadOnlyDictionary<string, string> ParseParams(string[]? values)
    {
        var d = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var v in values ?? [])
        {
            var eq = v.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new UsageException($"--param '{v}' must be name=value");
            }
            var key = v[..eq].Trim();
            if (key.Length == 0)
            {
                throw new UsageException($"--param '{v}' has no name before '='");
            }
            if (!d.TryAdd(key, v[(eq + 1)..]))
            {
                throw new UsageException($"--param '{key}' is given twice");
            }
        }
        return d;
    }
}
