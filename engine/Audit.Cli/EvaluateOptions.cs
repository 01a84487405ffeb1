using System.CommandLine;
using Audit.Core.Loading;
using Audit.Core.Results;
using Audit.Reports;

namespace Audit.Cli;

internal sealed record RunSettings
{
    public string? Snapshot { get; init; }
    public IReadOnlyList<string> Rules { get; init; } = [];
    public string Out { get; init; } = "out";
    public Severity FailOn { get; init; } = Severity.High;
    public OutputFormats Formats { get; init; } = OutputFormats.All;
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    public bool Quiet { get; init; }
    public long MaxInputBytes { get; init; } = LoadOptions.DefaultMaxBytes;
    /// <summary>HTML template overriding the embedded report.html.sbn.</summary>
    public string? Template { get; init; }
    /// <summary>Time bound of one check.</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public NightlySettings Nightly { get; init; } = new();
}

/// <summary>The options of run and evaluate, and the <see cref="RunSettings"/> they make.</summary>
internal sealed class EvaluateOptions
{
    public Option<string?> Snapshot { get; } = new("--snapshot") { Description = "Snapshot file to audit.", HelpName = "FILE" };
    public Option<string[]> Rules { get; } = SharedOptions.Rules();
    public Option<string> Out { get; } = new("--out") { Description = "Output folder.", HelpName = "DIR", DefaultValueFactory = _ => "out" };
    public Option<string> FailOn { get; } = SharedOptions.SeverityOption("--fail-on", "Lowest severity whose failure fails the run (exit 1): critical, high, medium, low, info.", "high");
    public Option<string[]> Format { get; } = SharedOptions.Formats();
    public Option<string[]> Param { get; } = SharedOptions.Params("Override a rule-set parameter: name=value or ruleSetId.name=value; repeatable.");
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print only the one-line verdict." };
    public Option<long> MaxInputMb { get; } = SharedOptions.MaxInputMb();
    public Option<double> CheckTimeout { get; } = CheckTimeoutOption();
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

    public RunSettings Parse(ParseResult r) => new()
    {
        Snapshot = r.GetValue(Snapshot),
        Rules = r.GetValue(Rules) ?? [],
        Out = r.GetValue(Out) ?? "out",
        FailOn = SharedOptions.SeverityOf(r, FailOn) ?? Severity.High,
        Formats = SharedOptions.FormatsOf(r, Format),
        Parameters = SharedOptions.ParamsOf(r, Param),
        Quiet = r.GetValue(Quiet),
        MaxInputBytes = SharedOptions.MaxInputBytesOf(r, MaxInputMb),
        Template = r.GetValue(Template),
        CheckTimeout = TimeSpan.FromSeconds(r.GetValue(CheckTimeout)),
        Nightly = Nightly.Parse(r),
    };

    private static Option<double> CheckTimeoutOption()
    {
        var option = new Option<double>("--check-timeout") { Description = "Seconds one check (a rule on one entity) may take before it is abandoned as an error verdict.", HelpName = "SECONDS", DefaultValueFactory = _ => 30 };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is var ct && !(ct > 0 && ct <= 86400))
            {
                r.AddError($"--check-timeout {ct} must be more than 0 and at most 86400 seconds");
            }
        });
        return option;
    }
}
