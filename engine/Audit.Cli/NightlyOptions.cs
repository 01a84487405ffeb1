using System.CommandLine;

namespace Audit.Cli;

/// <summary>What a nightly audit adds to run/evaluate: waivers, parameter files, rule selection, history and drift.</summary>
internal sealed record NightlySettings
{
    public string? Waivers { get; init; }
    public int WaiverWarnDays { get; init; } = Audit.Rules.Waivers.WaiverApplier.DefaultWarnDays;
    public string? ParamsFile { get; init; }
    public Audit.Rules.Selection.SelectionOptions Selection { get; init; } = new();
    public string? History { get; init; }
    public int HistoryKeep { get; init; } = 30;
    public TimeSpan HistoryWait { get; init; } = TimeSpan.FromSeconds(60);
    public string? Baseline { get; init; }
    public bool FailOnNew { get; init; }
}

/// <summary>The options behind <see cref="NightlySettings"/>, shared by run and evaluate.</summary>
internal sealed class NightlyOptions
{
    public Option<string?> Waivers { get; } = new("--waivers") { Description = "Waivers file (schema/waivers.v1.schema.json): accepted exceptions with owner, justification and expiry; a matching unexpired waiver turns a failure into 'waived'.", HelpName = "FILE" };
    public Option<int> WaiverWarnDays { get; } = new Option<int>("--waiver-warn-days") { Description = "List waivers expiring within this many days as warnings.", HelpName = "DAYS", DefaultValueFactory = _ => Audit.Rules.Waivers.WaiverApplier.DefaultWarnDays }.Between(0, 3650);

    public Option<string?> ParamsFile { get; } = new("--params") { Description = "JSON file of rule-set parameter values (name or ruleSetId.name -> value), checked against each parameter's type; --param wins over it.", HelpName = "FILE" };
    public Option<string[]> Include { get; } = new("--include") { Description = "Evaluate only rules matching: rule id, id prefix or family (HV, HV-LM), or tag; * wildcards; comma-separated or repeated.", HelpName = "TERMS" };
    public Option<string[]> Exclude { get; } = new("--exclude") { Description = "Do not evaluate (nor report) rules matching: rule id, family or tag; * wildcards; comma-separated or repeated.", HelpName = "TERMS" };
    public Option<string> MinSeverity { get; } = SharedOptions.SeverityOption("--min-severity", "Evaluate only rules at least this severe: critical, high, medium, low, info.");

    public Option<string?> History { get; } = new("--history") { Description = "Keep this run's results in this folder (named from the snapshot time, never overwritten) and compare with the latest run kept there.", HelpName = "DIR" };
    public Option<int> HistoryKeep { get; } = new Option<int>("--history-keep") { Description = "Keep only the newest N runs in --history.", HelpName = "N", DefaultValueFactory = _ => 30 }.Between(1, 100_000);
    public Option<int> HistoryWait { get; } = new Option<int>("--history-wait") { Description = "Seconds to wait for another run holding --history before failing.", HelpName = "SECONDS", DefaultValueFactory = _ => 60 }.Between(0, 86_400, " seconds");
    public Option<string?> Baseline { get; } = new("--baseline") { Description = "Previous results.json to compare with; adds a drift section. [default: the latest run in --history]", HelpName = "FILE" };
    public Option<bool> FailOnNew { get; } = new("--fail-on-new") { Description = "Exit code depends only on new failures since the baseline (1), or new errors (2); old debt does not fail the run." };

    public void AddTo(Command c)
    {
        foreach (var o in new Option[] { Waivers, WaiverWarnDays, ParamsFile, Include, Exclude, MinSeverity, History, HistoryKeep, HistoryWait, Baseline, FailOnNew })
        {
            c.Options.Add(o);
        }
    }

    public NightlySettings Parse(ParseResult r)
    {
        return new NightlySettings
        {
            History = r.GetValue(History),
            HistoryKeep = r.GetValue(HistoryKeep),
            HistoryWait = TimeSpan.FromSeconds(r.GetValue(HistoryWait)),
            Baseline = r.GetValue(Baseline),
            FailOnNew = r.GetValue(FailOnNew),
            Waivers = r.GetValue(Waivers),
            WaiverWarnDays = r.GetValue(WaiverWarnDays),
            ParamsFile = r.GetValue(ParamsFile),
            Selection = new Audit.Rules.Selection.SelectionOptions
            {
                Include = Terms(r.GetValue(Include)),
                Exclude = Terms(r.GetValue(Exclude)),
                MinSeverity = SharedOptions.SeverityOf(r, MinSeverity),
            },
        };
    }

    private static string[] Terms(string[]? values) =>
        [.. (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.OrdinalIgnoreCase)];
}
