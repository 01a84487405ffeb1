using Audit.Core;
using Audit.Rules.Selection;
using Audit.Rules.Waivers;
using Audit.Core.Loading;
using Audit.Core.Results;

namespace Audit.Pipeline;

/// <summary>What one audit run is asked to do. Paths are full paths; <see cref="Display"/> turns one into the spelling
/// messages and results.json use.</summary>
public sealed record AuditRequest
{
    /// <summary>The snapshot file to evaluate.</summary>
    public required string SnapshotPath { get; init; }
    /// <summary>Rule set files or folders.</summary>
    public required IReadOnlyList<string> RulePaths { get; init; }
    /// <summary>--param values: name or ruleSetId.name -> text.</summary>
    public IReadOnlyDictionary<string, string> ParameterOverrides { get; init; } = new Dictionary<string, string>();
    /// <summary>--params: JSON file of parameter values.</summary>
    public string? ParametersFile { get; init; }
    /// <summary>--waivers: the waivers file, if any.</summary>
    public string? WaiversFile { get; init; }
    /// <summary>Waivers expiring within this many days are warned about.</summary>
    public int WaiverWarnDays { get; init; } = WaiverApplier.DefaultWarnDays;
    /// <summary>Which rules to evaluate: include and exclude terms, a minimum severity.</summary>
    public SelectionOptions Selection { get; init; } = new();
    /// <summary>--baseline: an earlier results.json to compare with.</summary>
    public string? BaselineFile { get; init; }
    /// <summary>--history: the folder of earlier runs; this run is kept there by <see cref="AuditRun.KeepInHistory"/>.</summary>
    public string? HistoryFolder { get; init; }
    /// <summary>The history folder as the user wrote it (for messages).</summary>
    public string? HistoryFolderDisplay { get; init; }
    /// <summary>How many runs the history folder keeps; older ones are pruned.</summary>
    public int HistoryKeep { get; init; } = 30;
    /// <summary>How long to wait for another run holding the history folder before giving up.</summary>
    public TimeSpan HistoryWait { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>The lowest severity whose failures make the run's exit code non-zero.</summary>
    public Severity FailOn { get; init; } = Severity.High;
    /// <summary>--fail-on-new: the exit code depends only on what is new since the baseline.</summary>
    public bool GateOnNewFailures { get; init; }
    /// <summary>Time bound of one check.</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Size limits for the input files (snapshot, rule sets, waivers, parameters).</summary>
    public LoadOptions Load { get; init; } = LoadOptions.Default;
    /// <summary>The audit tool's version, written to results.json.</summary>
    public string ToolVersion { get; init; } = "";
    /// <summary>The commit the tool was built from, when known; written to results.json.</summary>
    public string? ToolCommit { get; init; }
    /// <summary>The run's clock (SOURCE_DATE_EPOCH and tests pin it); its UTC date is "today" for waiver expiry.</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;
    /// <summary>A full path as messages and results.json show it (relative to the current folder where possible).</summary>
    public Func<string, string> Display { get; init; } = p => p;
}

/// <summary>What a run tells its caller while it works; every member is called on the calling thread.</summary>
public interface IAuditObserver
{
    /// <summary>Problems found by one step, in the order they should be shown (each call is one batch).</summary>
    void Diagnostics(IReadOnlyList<Diagnostic> batch);

    /// <summary>A step starts (null: no step is showing).</summary>
    void Stage(string? description);

    /// <summary>Checks done out of all, during evaluation.</summary>
    void Checks(int done, int total);
}

/// <summary>A request the run cannot carry out as given (exit 64 in the CLI): a selection term matching no rule, a history
/// folder held by another run for longer than the wait.</summary>
public sealed class AuditRequestException : Exception
{
    /// <summary>A request exception without a message.</summary>
    public AuditRequestException()
    {
    }

    /// <summary>A request exception saying what cannot be done.</summary>
    public AuditRequestException(string message) : base(message)
    {
    }

    /// <summary>A request exception saying what cannot be done, caused by <paramref name="inner"/>.</summary>
    public AuditRequestException(string message, Exception inner) : base(message, inner)
    {
    }
}
