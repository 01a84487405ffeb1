using Audit.Core.Results;

namespace Audit.Core.History;

/// <summary>A results file kept in the history folder, as read for the trend: <see cref="Results"/> is null when it could not be read.</summary>
/// <param name="Name">The entry's file name (results-YYYYMMDDTHHMMSSZ[-N].json).</param>
/// <param name="Results">The document, or null for a damaged entry (it is named in <see cref="TrendReport.Unreadable"/>, never counted as zero).</param>
public sealed record StoredRun(string Name, ResultsDocument? Results);

/// <summary>
/// Failures and errors over the runs kept in --history, then this run: per run, failing and erroring checks by severity;
/// per rule of this run, its failing and erroring entities in each run (null where that run did not check the rule, so
/// "not checked" never reads as "0 failing"). Counted from the verdicts themselves, not from the stored summaries.
/// Renderers draw it from the results document alone.
/// </summary>
public static class TrendCalculator
{
    /// <summary>Runs in a trend at most, this run included (the default --history-keep is 30 stored runs).</summary>
    public const int MaxRuns = 30;

    /// <param name="current">This run; always the last point.</param>
    /// <param name="stored">The history entries, oldest first as <see cref="HistoryStore.Entries"/> gives them (readable or not).</param>
    /// <param name="maxRuns">Points at most, this run included; older stored runs are left out (counted in <see cref="TrendReport.Omitted"/>).</param>
    public static TrendReport Compute(ResultsDocument current, IReadOnlyList<StoredRun> stored, int maxRuns = MaxRuns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRuns, 1);
        // Snapshot time, then the run's end; ties keep the history's own order (OrderBy is stable), so the result
        // depends only on the entries, never on the file system's listing order.
        var readable = stored.Where(s => s.Results is not null)
            .OrderBy(s => s.Results!.Run.Snapshot.CollectedAt)
            .ThenBy(s => s.Results!.Run.FinishedAt)
            .Select(s => s.Results!)
            .ToList();
        var shown = readable.Skip(Math.Max(0, readable.Count - (maxRuns - 1))).Append(current).ToList();

        var rules = current.Rules.Select(r => (r.Id, r.Severity))
            .Concat(current.Results.Select(v => (Id: v.RuleId, v.Severity)))
            .DistinctBy(r => r.Id, StringComparer.Ordinal)
            .OrderBy(r => r.Id, StringComparer.Ordinal)
            .ToList();
        var fail = rules.ToDictionary(r => r.Id, _ => new int?[shown.Count], StringComparer.Ordinal);
        var error = rules.ToDictionary(r => r.Id, _ => new int?[shown.Count], StringComparer.Ordinal);

        var runs = new List<TrendRun>(shown.Count);
        for (var i = 0; i < shown.Count; i++)
        {
            var doc = shown[i];
            var failing = new int[5];
            var erroring = new int[5];
            foreach (var r in doc.Rules)
            {
                // Checked by that run (its catalogue lists it): 0 unless a verdict says otherwise.
                if (fail.TryGetValue(r.Id, out var f))
                {
                    f[i] = 0;
                    error[r.Id][i] = 0;
                }
            }
            foreach (var v in doc.Results)
            {
                var sev = (int)v.Severity;
                if ((uint)sev >= 5)
                {
                    continue;
                }
                fail.TryGetValue(v.RuleId, out var f);
                error.TryGetValue(v.RuleId, out var e);
                if (f is not null)
                {
                    f[i] ??= 0;
                    e![i] ??= 0;
                }
                if (v.Outcome == Outcome.Fail)
                {
                    failing[sev]++;
                    if (f is not null)
                    {
                        f[i]++;
                    }
                }
                else if (v.Outcome == Outcome.Error)
                {
                    erroring[sev]++;
                    if (e is not null)
                    {
                        e[i]++;
                    }
                }
            }
            runs.Add(new TrendRun
            {
                CollectedAt = doc.Run.Snapshot.CollectedAt,
                FinishedAt = doc.Run.FinishedAt,
                SnapshotSha256 = doc.Run.Snapshot.Sha256,
                Checks = doc.Results.Count,
                Fail = SeverityCounts.From(failing),
                Error = SeverityCounts.From(erroring),
                Current = ReferenceEquals(doc, current) ? true : null,
            });
        }

        return new TrendReport
        {
            MaxRuns = maxRuns,
            Runs = runs,
            Omitted = readable.Count - (shown.Count - 1),
            Unreadable = [.. stored.Where(s => s.Results is null).Select(s => s.Name).Order(StringComparer.Ordinal).Take(maxRuns)],
            Rules = [.. rules.Select(r => new RuleTrend { RuleId = r.Id, Severity = r.Severity, Fail = fail[r.Id], Error = error[r.Id] })],
        };
    }
}

/// <summary>results.json "trend" (schema/results.v1.schema.json): failures and errors over the runs kept in --history and this run.</summary>
public sealed record TrendReport
{
    /// <summary>The most runs a trend shows, this run included.</summary>
    public int MaxRuns { get; init; }
    /// <summary>Stored runs first (by snapshot time, then end of run), this run last.</summary>
    public IReadOnlyList<TrendRun> Runs { get; init; } = [];
    /// <summary>Readable stored runs older than the window, not shown.</summary>
    public int Omitted { get; init; }
    /// <summary>History entries that could not be read (file names, ordered): left out, not counted as zero.</summary>
    public IReadOnlyList<string> Unreadable { get; init; } = [];
    /// <summary>Each rule of this run, by id, with its failing and erroring entities per run (same order as <see cref="Runs"/>).</summary>
    public IReadOnlyList<RuleTrend> Rules { get; init; } = [];
}

/// <summary>One run in a trend.</summary>
public sealed record TrendRun
{
    public DateTimeOffset CollectedAt { get; init; }
    public DateTimeOffset FinishedAt { get; init; }
    public string SnapshotSha256 { get; init; } = "";
    /// <summary>Verdicts of the run (every outcome): fewer checks can explain fewer failures.</summary>
    public int Checks { get; init; }
    /// <summary>Failing checks by severity.</summary>
    public SeverityCounts Fail { get; init; } = new();
    /// <summary>Erroring checks (could not be evaluated) by severity.</summary>
    public SeverityCounts Error { get; init; } = new();
    /// <summary>True for this run; absent for stored runs.</summary>
    public bool? Current { get; init; }
}

/// <summary>A count per severity, most severe first.</summary>
public sealed record SeverityCounts
{
    public int Critical { get; init; }
    public int High { get; init; }
    public int Medium { get; init; }
    public int Low { get; init; }
    public int Info { get; init; }

    public int this[Severity s] => s switch
    {
        Severity.Critical => Critical,
        Severity.High => High,
        Severity.Medium => Medium,
        Severity.Low => Low,
        _ => Info,
    };

    internal static SeverityCounts From(int[] n) => new() { Critical = n[0], High = n[1], Medium = n[2], Low = n[3], Info = n[4] };
}

/// <summary>A rule's failing and erroring entities per run of the trend; null where that run did not check the rule.</summary>
public sealed record RuleTrend
{
    public string RuleId { get; init; } = "";
    public Severity Severity { get; init; }
    public IReadOnlyList<int?> Fail { get; init; } = [];
    public IReadOnlyList<int?> Error { get; init; } = [];
}
