using Audit.Core.History;

namespace Audit.Core.Results;

/// <summary>
/// A run's results while they are being built: evaluation makes one, waivers and drift each return a changed copy. It has
/// no summary: <see cref="Finish"/> computes the summary and the exit code, once, when nothing can change the verdicts any more.
/// </summary>
public sealed record ResultsDraft
{
    public RunInfo Run { get; init; } = new();
    /// <summary>Parameter values used (defaults merged with overrides), name -> JSON value.</summary>
    public IReadOnlyDictionary<string, System.Text.Json.JsonElement> Parameters { get; init; } = new Dictionary<string, System.Text.Json.JsonElement>();
    /// <summary>Where each parameter value came from; null when not recorded.</summary>
    public IReadOnlyDictionary<string, string>? ParameterSources { get; init; }
    /// <summary>The rules that were evaluated, once each.</summary>
    public IReadOnlyList<RuleInfo> Rules { get; init; } = [];
    /// <summary>Every verdict, in evaluation order.</summary>
    public IReadOnlyList<Verdict> Results { get; init; } = [];
    /// <summary>Set by waivers; null without --waivers.</summary>
    public WaiverReport? Waivers { get; init; }
    /// <summary>Set by drift; null without a baseline.</summary>
    public DriftReport? Drift { get; init; }

    /// <summary>The finished document: the summary and exit code from the verdicts and --fail-on, or, with a new-failure gate
    /// (--fail-on-new), the gate's exit code (<see cref="DriftCalculator.GateExitCode(ResultsDraft, DriftReport, IReadOnlyList{ResultsDocument})"/>).</summary>
    public ResultsDocument Finish(int? gateExitCode = null)
    {
        var summary = SummaryCalculator.Compute(Results, Run.FailOn);
        return new ResultsDocument
        {
            Run = Run,
            Parameters = Parameters,
            ParameterSources = ParameterSources,
            Rules = Rules,
            Results = Results,
            Summary = gateExitCode is { } exit ? summary with { ExitCode = exit } : summary,
            Waivers = Waivers,
            Drift = Drift,
        };
    }
}

/// <summary>Conversions between finished documents and drafts.</summary>
public static class ResultsDocumentDrafts
{
    /// <summary>A finished document's content without its summary (for comparing two finished runs, as <c>audit diff</c> does).</summary>
    public static ResultsDraft ToDraft(this ResultsDocument d) => new()
    {
        Run = d.Run,
        Parameters = d.Parameters,
        ParameterSources = d.ParameterSources,
        Rules = d.Rules,
        Results = d.Results,
        Waivers = d.Waivers,
        Drift = d.Drift,
    };
}
