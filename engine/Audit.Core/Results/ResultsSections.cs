namespace Audit.Core.Results;

/// <summary>The waivers file a run used (results.json run.waivers).</summary>
public sealed record WaiversFileRef
{
    public string Path { get; init; } = "";
    public string Sha256 { get; init; } = "";
    /// <summary>Number of waivers in the file.</summary>
    public int Count { get; init; }
}

/// <summary>The parameters file a run used (results.json run.parametersFile).</summary>
public sealed record ParametersFileRef
{
    public string Path { get; init; } = "";
    public string Sha256 { get; init; } = "";
}

/// <summary>What a waivers file did in a run (results.json waivers): every waiver that needs attention, by kind.</summary>
public sealed record WaiverReport
{
    /// <summary>The day waivers were judged against (UTC date of the run clock; SOURCE_DATE_EPOCH pins it).</summary>
    public DateOnly Today { get; init; }
    /// <summary>Waivers expiring within this many days are listed in <see cref="ExpiringSoon"/>.</summary>
    public int WarnDays { get; init; }
    /// <summary>Number of checks turned from fail into waived.</summary>
    public int Waived { get; init; }
    /// <summary>Unexpired waivers of evaluated rules that matched no failing check (stale exceptions).</summary>
    public IReadOnlyList<WaiverStatus> Unmatched { get; init; } = [];
    /// <summary>Unexpired waivers whose expiry is at most <see cref="WarnDays"/> days away.</summary>
    public IReadOnlyList<WaiverStatus> ExpiringSoon { get; init; } = [];
    /// <summary>Waivers past their expiry date: they no longer apply.</summary>
    public IReadOnlyList<WaiverStatus> Expired { get; init; } = [];
    /// <summary>Waivers whose rules were all excluded by the selection: not judged in this run.</summary>
    public IReadOnlyList<WaiverStatus> NotEvaluated { get; init; } = [];
}

/// <summary>One waiver of the file and what it matched.</summary>
public sealed record WaiverStatus
{
    /// <summary>Position in the file's waivers array (0-based) and its line there.</summary>
    public int Index { get; init; }
    public int Line { get; init; }
    public string Rule { get; init; } = "";
    /// <summary>The waiver's entity pattern as written in the waivers file.</summary>
    public string Entity { get; init; } = "";
    public string Justification { get; init; } = "";
    public string Owner { get; init; } = "";
    public string? Ticket { get; init; }
    public DateOnly Expires { get; init; }
    /// <summary>Days from today to the expiry date (negative once expired; 0 = last day).</summary>
    public int DaysLeft { get; init; }
    /// <summary>Failing checks this waiver covers (waived, or still failing when it has expired).</summary>
    public int Matched { get; init; }
    /// <summary>Why it is listed (unmatched, not evaluated), in words.</summary>
    public string? Reason { get; init; }
}

/// <summary>Which rules a run evaluated (results.json run.selection); excluded rules are neither evaluated nor reported.</summary>
public sealed record SelectionInfo
{
    public IReadOnlyList<string> Include { get; init; } = [];
    public IReadOnlyList<string> Exclude { get; init; } = [];
    public Severity? MinSeverity { get; init; }
    /// <summary>Rules in the loaded rule sets.</summary>
    public int Available { get; init; }
    /// <summary>Rules evaluated.</summary>
    public int Selected { get; init; }
    /// <summary>Ids of the rules not evaluated, sorted.</summary>
    public IReadOnlyList<string> Excluded { get; init; } = [];
}

/// <summary>What changed since a previous run (results.json drift).</summary>
public sealed record DriftReport
{
    public BaselineRef Baseline { get; init; } = new();
    public DriftCounts Counts { get; init; } = new();
    /// <summary>Failing now, not failing (pass, notApplicable, error, waived or absent) in the baseline; waivers that expired are listed in <see cref="WaiversExpired"/> instead.</summary>
    public IReadOnlyList<DriftItem> NewFailures { get; init; } = [];
    /// <summary>Failing in the baseline, now pass, notApplicable or no longer checked (outcome absent).</summary>
    public IReadOnlyList<DriftItem> Resolved { get; init; } = [];
    /// <summary>Failing in both; consecutiveRuns counts this run.</summary>
    public IReadOnlyList<DriftItem> StillFailing { get; init; } = [];
    /// <summary>Waived now, not waived in the baseline.</summary>
    public IReadOnlyList<DriftItem> NewlyWaived { get; init; } = [];
    /// <summary>Failing now because the waiver that covered it has expired (not failing in the baseline).</summary>
    public IReadOnlyList<DriftItem> WaiversExpired { get; init; } = [];
    public IReadOnlyList<string> HostsAdded { get; init; } = [];
    public IReadOnlyList<string> HostsRemoved { get; init; } = [];
    public IReadOnlyList<string> VmsAdded { get; init; } = [];
    public IReadOnlyList<string> VmsRemoved { get; init; } = [];
    /// <summary>Rule ids evaluated now but not in the baseline, and the reverse (selection or rule set changes).</summary>
    public IReadOnlyList<string> RulesAdded { get; init; } = [];
    public IReadOnlyList<string> RulesRemoved { get; init; } = [];
}

public sealed record BaselineRef
{
    public string? Path { get; init; }
    public string Sha256 { get; init; } = "";
    public DateTimeOffset CollectedAt { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>Earlier runs found in --history and used to count consecutive failing runs (0 without history).</summary>
    public int HistoryRuns { get; init; }
}

public sealed record DriftCounts
{
    public int NewFailures { get; init; }
    public int Resolved { get; init; }
    public int StillFailing { get; init; }
    public int NewlyWaived { get; init; }
    public int WaiversExpired { get; init; }
    public int HostsAdded { get; init; }
    public int HostsRemoved { get; init; }
    public int VmsAdded { get; init; }
    public int VmsRemoved { get; init; }
}

/// <summary>One (rule, entity) whose state is compared between runs.</summary>
public sealed record DriftItem
{
    public string RuleId { get; init; } = "";
    /// <summary>The entity's <see cref="EntityId.Key"/>: runs are compared by (rule, key), whatever the kind.</summary>
    public string Entity { get; init; } = "";
    public Severity Severity { get; init; }
    /// <summary>Outcome now; null when the check is no longer in the results.</summary>
    public Outcome? Outcome { get; init; }
    /// <summary>Outcome in the baseline; null when the check was not there.</summary>
    public Outcome? PreviousOutcome { get; init; }
    /// <summary>Current message (or the baseline's when the check is gone).</summary>
    public string Message { get; init; } = "";
    /// <summary>Still failing: runs in a row failing, this one included (baseline and history runs before it).</summary>
    public int? ConsecutiveRuns { get; init; }
    /// <summary>The waiver now recorded on the verdict (newly waived, expired).</summary>
    public WaiverRef? Waiver { get; init; }
}
