using System.Globalization;
using System.Text.Json;
using Audit.Core;
using Audit.Core.Results;

namespace Audit.Reports;

/// <summary>
/// What the HTML template shows, computed once from results.json. Every fact-derived string passes through
/// <see cref="TextSanitizer"/> here; the template context then HTML-escapes every value it writes.
/// </summary>
internal sealed class ReportView
{
    public static readonly Outcome[] OutcomeOrder = [Outcome.Fail, Outcome.Error, Outcome.Waived, Outcome.Pass, Outcome.NotApplicable];

    public required string Title { get; init; }
    public required string Verdict { get; init; }
    public required string VerdictWord { get; init; }
    public required int ExitCode { get; init; }
    public required string FailOn { get; init; }
    public required IReadOnlyList<CountView> Counts { get; init; }
    public required IReadOnlyList<SeverityRowView> Severities { get; init; }
    public required ProvenanceView Provenance { get; init; }
    public required IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; }
    public required IReadOnlyList<string> Families { get; init; }
    public required IReadOnlyList<GroupView> Groups { get; init; }
    public required int Total { get; init; }
    /// <summary>"Since last run" panel; null without a baseline.</summary>
    public DriftView? Drift { get; init; }
    /// <summary>Waivers needing attention; null without --waivers.</summary>
    public WaiversView? Waivers { get; init; }
    /// <summary>Failures and errors over the runs kept in --history; null without --history.</summary>
    public TrendView? Trend { get; init; }
    /// <summary>Runs a trend chart needs (this one and one kept before it).</summary>
    public int TrendMinRuns { get; init; } = TrendView.MinRuns;
    /// <summary>The answers at the top of the page: score, top failing rules, worst hosts and clusters.</summary>
    public required TopView Top { get; init; }
    /// <summary>The matrix rows: worst first (failing or erroring checks at the highest severity), then by name.</summary>
    public IReadOnlyList<GroupView> GroupsWorstFirst => [.. Groups.Order(GroupView.WorstFirst)];
    /// <summary>Every rule id with a verdict, for the findings' rule filter.</summary>
    public required IReadOnlyList<string> RuleIds { get; init; }
    /// <summary>Cluster names, for the matrix's cluster filter.</summary>
    public required IReadOnlyList<string> Clusters { get; init; }
    /// <summary>Rule selection in words; null when every rule was evaluated.</summary>
    public string? Selection { get; init; }
    /// <summary>Raw family name -> position in <see cref="Families"/> (which holds the sanitized names, same order).</summary>
    internal IReadOnlyDictionary<string, int> FamilyIndex { get; init; } = new Dictionary<string, int>();
    /// <summary>For each verdict of the results, in order, the index of its group in <see cref="Groups"/>.</summary>
    internal IReadOnlyList<int> VerdictGroups { get; init; } = [];

    public static string OutcomeWord(Outcome o) => o switch
    {
        Outcome.NotApplicable => "n/a",
        _ => o.Name(),
    };

    /// <summary>Worst first: a cell shows the worst outcome among its verdicts.</summary>
    public static int Rank(Outcome o) => Array.IndexOf(OutcomeOrder, o);

    public static ReportView Build(ResultsDocument results)
    {
        var s = results.Summary;
        // The family of each distinct rule id, not of each verdict (a substring per verdict for a few dozen rules).
        var ruleIds = results.Results.Select(v => v.RuleId).Distinct(StringComparer.Ordinal).ToList();
        var families = results.Rules.Select(r => r.Family).Concat(ruleIds.Select(RuleInfo.FamilyOf))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var familyNames = families.Select(TextSanitizer.Name).ToList();
        var familyOf = results.Rules.ToDictionary(r => r.Id, r => r.Family, StringComparer.Ordinal);
        var familyIndex = families.Select((f, i) => (f, i)).ToDictionary(x => x.f, x => x.i, StringComparer.Ordinal);

        // Grouped by hash, ordered once at the end (a sorted map compared keys about ten times per verdict).
        var byGroup = new Dictionary<GroupKey, GroupAccumulator>();
        var keys = new GroupKey[results.Results.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            var v = results.Results[i];
            var key = keys[i] = ReportGroups.Of(v);
            if (!byGroup.TryGetValue(key, out var acc))
            {
                byGroup[key] = acc = new GroupAccumulator(families.Count);
            }
            var fam = familyOf.TryGetValue(v.RuleId, out var f) ? f : RuleInfo.FamilyOf(v.RuleId);
            acc.Add(familyIndex[fam], v.Outcome, v.Severity);
        }
        var clusterOf = ClusterOf(results);
        var ordered = byGroup.Keys.Order(ReportGroups.Order).ToList();
        var groups = ordered.Select((k, i) => byGroup[k].ToView(i, k, familyNames, k.Kind switch
        {
            GroupKind.Host => clusterOf.TryGetValue(k.Name, out var c) ? c : "",
            GroupKind.Cluster => k.Name,
            _ => "",
        })).ToList();
        var groupIndex = ordered.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => x.i);

        return new ReportView
        {
            Title = "Hyper-V compliance audit",
            Verdict = s.Verdict,
            VerdictWord = s.Verdict.ToUpperInvariant(),
            ExitCode = s.ExitCode,
            FailOn = results.Run.FailOn.Name(),
            Total = s.Total,
            Counts = OutcomeOrder.Select(o => new CountView(o.Name(), OutcomeWord(o), Count(s.ByOutcome, o))).ToList(),
            Severities = Enum.GetValues<Severity>().Select(sev =>
            {
                var c = s.BySeverity.TryGetValue(sev, out var x) ? x : new OutcomeCounts();
                return new SeverityRowView(sev.Name(), c.Fail, c.Error, c.Waived, c.Pass, c.NotApplicable, c.Total);
            }).ToList(),
            Provenance = new ProvenanceView(
                TextSanitizer.Name(results.Run.Snapshot.Path ?? "(not recorded)"),
                Iso(results.Run.Snapshot.CollectedAt),
                results.Run.Snapshot.Sha256,
                results.Run.Snapshot.Hosts,
                results.Run.Snapshot.Complete,
                results.Run.RuleSets.Select(r => new RuleSetView(TextSanitizer.Name(r.Id), TextSanitizer.Name(r.Version), TextSanitizer.Name(r.Title ?? ""), TextSanitizer.Name(r.Path ?? ""), r.Sha256)).ToList(),
                TextSanitizer.Name(results.Run.ToolCommit is { } commit ? $"{results.Run.ToolVersion} (commit {commit})" : results.Run.ToolVersion),
                Iso(results.Run.StartedAt),
                Iso(results.Run.FinishedAt),
                RunTime(results.Run.StartedAt, results.Run.FinishedAt)),
            Parameters = results.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => new KeyValuePair<string, string>(TextSanitizer.Name(p.Key), TextSanitizer.Display(JsonSerializer.Serialize(p.Value)))).ToList(),
            Families = familyNames,
            Groups = groups,
            FamilyIndex = familyIndex,
            VerdictGroups = Array.ConvertAll(keys, k => groupIndex[k]),
            Top = TopView.Build(results, groups),
            RuleIds = ruleIds.Order(StringComparer.Ordinal).Select(TextSanitizer.Name).ToList(),
            Clusters = groups.Where(g => g.Cluster.Length > 0).Select(g => g.Cluster).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(TextSanitizer.Name).ToList(),
            Drift = results.Drift is { } d ? DriftView.From(d) : null,
            Waivers = results.Waivers is { } w ? WaiversView.From(w, results.Run.Waivers) : null,
            Trend = TrendView.From(results.Trend),
            Selection = results.Run.Selection is { } sel ? TextSanitizer.Name(
                $"{sel.Selected} of {sel.Available} rules evaluated" +
                (sel.Include.Count > 0 ? "; include " + string.Join(", ", sel.Include) : "") +
                (sel.Exclude.Count > 0 ? "; exclude " + string.Join(", ", sel.Exclude) : "") +
                (sel.MinSeverity is { } ms ? "; minimum severity " + ms.Name() : "") +
                (sel.Excluded.Count > 0 ? "; not evaluated: " + string.Join(", ", sel.Excluded) : "")) : null,
        };
    }

    /// <summary>Host name -> its cluster, from the snapshot's cluster list recorded in the results (none in older results).</summary>
    private static Dictionary<string, string> ClusterOf(ResultsDocument results)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (cluster, nodes) in results.Run.Snapshot.Clusters ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            foreach (var n in nodes)
            {
                map.TryAdd(n, cluster);
            }
        }
        return map;
    }

    /// <summary>(rule, entity) keys of checks failing since the baseline: new failures and failures whose waiver expired.</summary>
    public static HashSet<(string, string)> NewKeys(ResultsDocument results) =>
        results.Drift is { } d ? d.NewFailures.Concat(d.WaiversExpired).Select(i => (i.RuleId, i.Entity)).ToHashSet() : [];

    public static int Count(OutcomeCounts c, Outcome o) => o switch
    {
        Outcome.Pass => c.Pass,
        Outcome.Fail => c.Fail,
        Outcome.Error => c.Error,
        Outcome.NotApplicable => c.NotApplicable,
        _ => c.Waived,
    };

    /// <summary>"2026-11-24T03:00:00Z, took 2.4 s"; a pinned clock (SOURCE_DATE_EPOCH) records one instant for both ends, said so rather than shown as a range of nothing.</summary>
    public static string RunTime(DateTimeOffset started, DateTimeOffset finished)
    {
        var took = finished - started;
        return took <= TimeSpan.Zero
            ? Iso(started) + " (start and end recorded as one instant: the run clock was pinned, e.g. by SOURCE_DATE_EPOCH)"
            : string.Create(CultureInfo.InvariantCulture, $"{Iso(started)} to {Iso(finished)}, took {took.TotalSeconds:0.0} s");
    }

    public static string Iso(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed class GroupAccumulator(int families)
    {
        private readonly int[,] _cells = new int[families, OutcomeOrder.Length];
        private readonly int[] _totals = new int[OutcomeOrder.Length];
        /// <summary>Failing and erroring checks per severity (critical first).</summary>
        private readonly int[] _bad = new int[Enum.GetValues<Severity>().Length];

        public void Add(int family, Outcome o, Severity severity)
        {
            _cells[family, Rank(o)]++;
            _totals[Rank(o)]++;
            if (o is Outcome.Fail or Outcome.Error)
            {
                _bad[(int)severity]++;
            }
        }

        public GroupView ToView(int index, GroupKey key, List<string> familyNames, string cluster)
        {
            var cells = new List<CellView>(familyNames.Count);
            for (var f = 0; f < familyNames.Count; f++)
            {
                var worst = -1;
                var n = 0;
                var parts = new List<string>();
                for (var r = 0; r < OutcomeOrder.Length; r++)
                {
                    if (_cells[f, r] > 0)
                    {
                        worst = worst < 0 ? r : worst;
                        n += _cells[f, r];
                        parts.Add(string.Create(CultureInfo.InvariantCulture, $"{_cells[f, r]} {OutcomeWord(OutcomeOrder[r])}"));
                    }
                }
                cells.Add(worst < 0
                    ? new CellView(familyNames[f], "none", "", 0, "no checks")
                    : new CellView(familyNames[f], OutcomeOrder[worst].Name(), OutcomeWord(OutcomeOrder[worst]),
                        OutcomeOrder[worst] is Outcome.Pass or Outcome.NotApplicable ? n : _cells[f, worst], string.Join(", ", parts)));
            }
            var worstSeverity = Array.FindIndex(_bad, n => n > 0);
            return new GroupView(index, TextSanitizer.Name(key.Label), key.Kind.ToString().ToLowerInvariant(),
                _totals[Rank(Outcome.Fail)], _totals[Rank(Outcome.Error)], _totals[Rank(Outcome.Waived)], _totals[Rank(Outcome.Pass)], _totals[Rank(Outcome.NotApplicable)],
                _totals.Sum(), cells)
            {
                Cluster = TextSanitizer.Name(cluster),
                SeverityRank = worstSeverity < 0 ? _bad.Length : worstSeverity,
                BadBySeverity = [.. _bad],
                BadText = string.Join(", ", _bad.Select((n, i) => (n, i)).Where(x => x.n > 0).Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.n} {((Severity)x.i).Name()}"))),
            };
        }
    }
}

internal sealed record DriftItemView(string RuleId, string Entity, string Severity, string Message, string Note);

internal sealed record DriftView(string Since, string Baseline, IReadOnlyList<KeyValuePair<string, int>> Counts, IReadOnlyList<DriftItemView> NewFailures,
    IReadOnlyList<DriftItemView> WaiversExpired, IReadOnlyList<DriftItemView> Fixed, IReadOnlyList<DriftItemView> Gone, IReadOnlyList<string> Changes)
{
    public static DriftView From(DriftReport d)
    {
        static DriftItemView Item(DriftItem i, string note) =>
            new(TextSanitizer.Name(i.RuleId), TextSanitizer.Name(i.Entity), i.Severity.Name(), TextSanitizer.Display(i.Message), TextSanitizer.Name(note));
        var changes = new List<string>();
        void Add(string what, IReadOnlyList<string> items)
        {
            if (items.Count > 0)
            {
                changes.Add(TextSanitizer.Name($"{what} ({items.Count}): {string.Join(", ", items.Take(50))}{(items.Count > 50 ? ", ..." : "")}"));
            }
        }
        Add("hosts added", d.HostsAdded);
        Add("hosts removed", d.HostsRemoved);
        Add("VMs added", d.VmsAdded);
        Add("VMs removed", d.VmsRemoved);
        Add("rules added", d.RulesAdded);
        Add("rules removed", d.RulesRemoved);
        return new DriftView(
            ReportView.Iso(d.Baseline.CollectedAt),
            TextSanitizer.Name(d.Baseline.Path ?? "(baseline)"),
            DriftWords.Counts(d),
            d.NewFailures.Select(i => Item(i, i.PreviousOutcome is { } o ? "was " + ReportView.OutcomeWord(o) : "not checked before")).ToList(),
            d.WaiversExpired.Select(i => Item(i, "waiver expired " + (i.Waiver?.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "?"))).ToList(),
            d.Resolved.Where(DriftWords.IsFixed).Select(i => Item(i, "now " + ReportView.OutcomeWord(i.Outcome!.Value))).ToList(),
            d.Resolved.Where(i => !DriftWords.IsFixed(i)).Select(i => Item(i, DriftWords.GoneReason(i, d))).ToList(),
            changes);
    }
}

/// <summary>A waiver in the waiver report. <c>When</c> is the expiry in words relative to the day it was judged ("expired 31 days
/// ago"); <c>Reason</c> is why it is listed ("matches no failing check"), kept apart from the owner's justification.</summary>
public sealed record WaiverStatusView(string Rule, string Entity, string Owner, string Ticket, string Expires, int DaysLeft, string When, int Matched, string Justification, string Reason);

internal sealed record WaiversView(string File, string Today, int WarnDays, int Waived, IReadOnlyList<WaiverStatusView> Expired, IReadOnlyList<WaiverStatusView> ExpiringSoon, IReadOnlyList<WaiverStatusView> Unmatched)
{
    public static WaiversView From(WaiverReport w, WaiversFileRef? file)
    {
        static List<WaiverStatusView> Map(IEnumerable<WaiverStatus> list) => list.Select(x => new WaiverStatusView(
            TextSanitizer.Name(x.Rule), TextSanitizer.Name(x.Entity), TextSanitizer.Name(x.Owner), TextSanitizer.Name(x.Ticket ?? ""),
            x.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), x.DaysLeft, DriftWords.Expiry(x.DaysLeft), x.Matched, TextSanitizer.Display(x.Justification), TextSanitizer.Display(x.Reason ?? ""))).ToList();
        return new WaiversView(file is null ? "" : TextSanitizer.Name($"{file.Path} ({file.Count} waivers, sha256 {file.Sha256})"),
            w.Today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), w.WarnDays, w.Waived, Map(w.Expired), Map(w.ExpiringSoon), Map(w.Unmatched));
    }
}

internal sealed record CountView(string Outcome, string Word, int Count);

internal sealed record SeverityRowView(string Severity, int Fail, int Error, int Waived, int Pass, int NotApplicable, int Total);

/// <summary>Where the results come from. <c>RunTime</c>: when the run started and how long it took, in words.</summary>
internal sealed record ProvenanceView(string SnapshotPath, string CollectedAt, string SnapshotSha256, int Hosts, bool Complete, IReadOnlyList<RuleSetView> RuleSets, string ToolVersion, string StartedAt, string FinishedAt, string RunTime);

internal sealed record RuleSetView(string Id, string Version, string Title, string Path, string Sha256);

internal sealed record GroupView(int Index, string Label, string Kind, int Fail, int Error, int Waived, int Pass, int NotApplicable, int Total, IReadOnlyList<CellView> Cells)
{
    /// <summary>The cluster of a host (its own name for a cluster row); empty when none is known.</summary>
    public string Cluster { get; init; } = "";
    /// <summary>Index of the most severe severity with a failing or erroring check (0 critical); 5 when none.</summary>
    public int SeverityRank { get; init; } = 5;
    /// <summary>Failing and erroring checks per severity, critical first.</summary>
    public IReadOnlyList<int> BadBySeverity { get; init; } = [];
    /// <summary>"2 high, 5 medium": failing and erroring checks by severity, in words.</summary>
    public string BadText { get; init; } = "";
    public bool HasProblems => Fail + Error > 0;

    /// <summary>Worst first: more failing or erroring checks at a higher severity, then more of them in all, then by name.</summary>
    public static IComparer<GroupView> WorstFirst { get; } = Comparer<GroupView>.Create((a, b) =>
    {
        for (var i = 0; i < Math.Min(a.BadBySeverity.Count, b.BadBySeverity.Count); i++)
        {
            if (a.BadBySeverity[i] != b.BadBySeverity[i])
            {
                return b.BadBySeverity[i].CompareTo(a.BadBySeverity[i]);
            }
        }
        return (b.Fail + b.Error).CompareTo(a.Fail + a.Error) is var c && c != 0 ? c : a.Index.CompareTo(b.Index);
    });
}

/// <summary>A rule among the top failing ones: how many entities fail or error on it.</summary>
public sealed record TopRuleView(string Id, string Title, string Severity, int Entities, int Fail, int Error);

/// <summary>A cluster with the failing and erroring checks of its nodes and of its own (cluster-scope) checks.</summary>
public sealed record TopClusterView(string Name, int Nodes, int Fail, int Error, string BadText, int Group)
{
    internal GroupView Order { get; init; } = null!;
}

/// <summary>
/// The answers an auditor wants in five seconds: how compliant (a score with its definition), what fails most, where.
/// </summary>
internal sealed record TopView(string Score, string ScoreDetail, IReadOnlyList<TopRuleView> Rules, int RulesFailing, IReadOnlyList<GroupView> WorstHosts, int HostsFailing, int HostsTotal, IReadOnlyList<TopClusterView> WorstClusters)
{
    public const string ScoreDefinition = "checks that pass, as a share of all applicable checks: pass / (pass + fail + error + waived). Not-applicable checks are left out; a waived check counts as not passing (an accepted exception is not compliance), an error too (the check could not be made).";
    /// <summary>Rules listed; hosts and clusters list <see cref="ShownPlaces"/> each (they share a column).</summary>
    public const int Shown = 8;
    public const int ShownPlaces = 5;

    /// <summary>How the score is computed, shown beside it.</summary>
    public string Definition { get; init; } = ScoreDefinition;

    public static TopView Build(ResultsDocument results, IReadOnlyList<GroupView> groups)
    {
        var o = results.Summary.ByOutcome;
        var applicable = o.Pass + o.Fail + o.Error + o.Waived;
        var score = applicable == 0 ? "n/a" : (Math.Floor(1000.0 * o.Pass / applicable) / 10).ToString("0.0", CultureInfo.InvariantCulture) + "%";
        var detail = string.Create(CultureInfo.InvariantCulture, $"{o.Pass} of {applicable} applicable checks pass");

        var titles = results.Rules.ToDictionary(r => r.Id, r => r.Title, StringComparer.Ordinal);
        var perRule = new Dictionary<string, (Severity Severity, HashSet<string> Entities, int Fail, int Error)>(StringComparer.Ordinal);
        foreach (var v in results.Results)
        {
            if (v.Outcome is not (Outcome.Fail or Outcome.Error))
            {
                continue;
            }
            if (!perRule.TryGetValue(v.RuleId, out var r))
            {
                perRule[v.RuleId] = r = (v.Severity, new HashSet<string>(StringComparer.Ordinal), 0, 0);
            }
            r.Entities.Add(v.Entity.Key);
            perRule[v.RuleId] = (r.Severity < v.Severity ? r.Severity : v.Severity, r.Entities, r.Fail + (v.Outcome == Outcome.Fail ? 1 : 0), r.Error + (v.Outcome == Outcome.Error ? 1 : 0));
        }
        var rules = perRule.OrderByDescending(r => r.Value.Entities.Count).ThenBy(r => r.Value.Severity).ThenBy(r => r.Key, StringComparer.Ordinal).Take(Shown)
            .Select(r => new TopRuleView(TextSanitizer.Name(r.Key), TextSanitizer.Display(titles.TryGetValue(r.Key, out var t) ? t : r.Key), r.Value.Severity.Name(), r.Value.Entities.Count, r.Value.Fail, r.Value.Error)).ToList();

        var hosts = groups.Where(g => g.Kind == "host").ToList();
        var worstHosts = hosts.Where(g => g.HasProblems).Order(GroupView.WorstFirst).Take(ShownPlaces).ToList();

        var clusters = new List<TopClusterView>();
        foreach (var c in groups.Where(g => g.Cluster.Length > 0).GroupBy(g => g.Cluster, StringComparer.Ordinal))
        {
            var own = c.FirstOrDefault(g => g.Kind == "cluster");
            var bad = new int[Enum.GetValues<Severity>().Length];
            foreach (var g in c)
            {
                for (var i = 0; i < Math.Min(bad.Length, g.BadBySeverity.Count); i++)
                {
                    bad[i] += g.BadBySeverity[i];
                }
            }
            var view = new GroupView(own?.Index ?? -1, c.Key, "cluster", c.Sum(g => g.Fail), c.Sum(g => g.Error), 0, 0, 0, 0, []) { BadBySeverity = bad };
            if (view.HasProblems)
            {
                clusters.Add(new TopClusterView(c.Key, c.Count(g => g.Kind == "host"), view.Fail, view.Error,
                    string.Join(", ", bad.Select((n, i) => (n, i)).Where(x => x.n > 0).Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.n} {((Severity)x.i).Name()}"))), view.Index)
                { Order = view });
            }
        }
        var worstClusters = clusters.OrderBy(c => c.Order, GroupView.WorstFirst).ThenBy(c => c.Name, StringComparer.Ordinal).Take(ShownPlaces).ToList();
        return new TopView(score, detail, rules, perRule.Count, worstHosts, hosts.Count(g => g.HasProblems), hosts.Count, worstClusters);
    }
}

/// <summary>One matrix cell: the worst outcome of a group's checks in one rule family, as a word and a count (readable without colour).</summary>
public sealed record CellView(string Family, string Outcome, string Word, int Count, string Detail);

/// <summary>
/// Compact table data for the findings table, embedded as JSON and rendered by the page's script with textContent only.
/// Its rows are arrays laid out by <see cref="ReportRowLayout"/> (schema/report-data.v1.schema.json).
/// </summary>
internal static class ReportData
{
    /// <summary>
    /// Strings are written by the relaxed encoder (non-ASCII as UTF-8, quotes and controls escaped) through a stream that
    /// turns every &lt;, &gt; and &amp; into \u003c, \u003e, \u0026. Those bytes occur in JSON only inside strings, so the
    /// result is the same JSON, and it cannot close its &lt;script&gt; element or open a comment.
    /// </summary>
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Pending bytes at which the writer hands its buffer to the stream.</summary>
    private const int FlushBytes = 1 << 16;

    /// <summary>Writes the data block straight to <paramref name="destination"/> (tens of MiB for a large estate: no intermediate copy).</summary>
    public static void Write(ResultsDocument results, ReportView view, Stream destination)
    {
        var ruleIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        using var safe = new ScriptSafeStream(destination);
        using (var w = new Utf8JsonWriter(safe, Options))
        {
            w.WriteStartObject();
            ReportRowLayout.WriteLayout(w);
            w.WriteStartArray("outcomes");
            foreach (var o in Enum.GetValues<Outcome>())
            {
                w.WriteStringValue(o.Name());
            }
            w.WriteEndArray();
            w.WriteStartArray("families");
            foreach (var f in view.Families)
            {
                w.WriteStringValue(f);
            }
            w.WriteEndArray();
            w.WriteStartArray("groups");
            foreach (var g in view.Groups)
            {
                w.WriteStringValue(g.Label);
            }
            w.WriteEndArray();
            var familyIndex = view.FamilyIndex;
            // The trend per rule (shown in a finding's detail): run labels once, then per rule its counts or null.
            var trend = results.Trend is { Runs.Count: >= TrendView.MinRuns } t ? t : null;
            var trendRuns = trend is null ? 0 : Math.Min(trend.Runs.Count, Audit.Core.History.TrendCalculator.MaxRuns);
            var ruleTrends = new Dictionary<string, Audit.Core.History.RuleTrend>(StringComparer.Ordinal);
            if (trend is not null)
            {
                w.WriteStartArray("trend");
                foreach (var run in trend.Runs.Skip(trend.Runs.Count - trendRuns))
                {
                    w.WriteStringValue(run.Current == true ? "this run" : ReportView.Iso(run.CollectedAt));
                }
                w.WriteEndArray();
                foreach (var rt in trend.Rules)
                {
                    ruleTrends.TryAdd(rt.RuleId, rt);
                }
            }
            else
            {
                w.WriteNull("trend");
            }
            w.WriteStartArray("rules");
            var rules = results.Rules.ToList();
            foreach (var id in results.Results.Select(v => v.RuleId).Distinct(StringComparer.Ordinal).Where(id => rules.All(r => r.Id != id)))
            {
                rules.Add(new RuleInfo { Id = id, Title = id, Family = RuleInfo.FamilyOf(id) });
            }
            var trendTo = trend?.Runs.Count ?? 0;
            foreach (var r in rules)
            {
                ruleIndex[r.Id] = ruleIndex.Count;
                var family = familyIndex.TryGetValue(r.Family, out var fi) ? fi : familyIndex[RuleInfo.FamilyOf(r.Id)];
                ReportRowLayout.RuleRows.Write(w, new RuleRow(r, family, ruleTrends.GetValueOrDefault(r.Id), trendTo - trendRuns, trendTo));
            }
            w.WriteEndArray();
            var fresh = ReportView.NewKeys(results);
            w.WriteBoolean("drift", results.Drift is not null);
            w.WriteStartArray("verdicts");
            for (var i = 0; i < results.Results.Count; i++)
            {
                var v = results.Results[i];
                ReportRowLayout.VerdictRows.Write(w, new VerdictRow(v, ruleIndex[v.RuleId], view.VerdictGroups[i], fresh.Contains((v.RuleId, v.Entity.Key))));
                if (w.BytesPending >= FlushBytes)
                {
                    // Utf8JsonWriter never flushes by itself: without this the whole block (tens of MiB) would grow in
                    // its buffer by doubling, copied at each step, before reaching the stream.
                    w.Flush();
                }
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
    }
}

/// <summary>
/// Write-only pass-through that replaces the bytes &lt; &gt; &amp; with JSON escapes. Sound for UTF-8 JSON: those ASCII bytes
/// never occur inside a multi-byte sequence, and outside strings JSON has none of them.
/// </summary>
internal sealed class ScriptSafeStream(Stream inner) : Stream
{
    private static readonly System.Buffers.SearchValues<byte> Unsafe = System.Buffers.SearchValues.Create("<>&"u8);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var i = buffer.IndexOfAny(Unsafe);
            if (i < 0)
            {
                inner.Write(buffer);
                return;
            }
            inner.Write(buffer[..i]);
            inner.Write(buffer[i] switch
            {
                (byte)'<' => "\\u003c"u8,
                (byte)'>' => "\\u003e"u8,
                _ => "\\u0026"u8,
            });
            buffer = buffer[(i + 1)..];
        }
    }

    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
