using System.Globalization;
using System.Text.Json;
using Audit.Core;

namespace Audit.Reports;

/// <summary>
/// What the HTML template shows, computed once from results.json. Every fact-derived string passes through
/// <see cref="TextSanitizer"/> here; the template context then HTML-escapes every value it writes.
/// </summary>
public sealed class ReportView
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
        var families = results.Rules.Select(r => r.Family).Concat(results.Results.Select(v => Family(v.RuleId)))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var familyOf = results.Rules.ToDictionary(r => r.Id, r => r.Family, StringComparer.Ordinal);
        var familyIndex = families.Select((f, i) => (f, i)).ToDictionary(x => x.f, x => x.i, StringComparer.Ordinal);

        var byGroup = new SortedDictionary<GroupKey, GroupAccumulator>(ReportGroups.Order);
        foreach (var v in results.Results)
        {
            var key = ReportGroups.Of(v);
            if (!byGroup.TryGetValue(key, out var acc))
            {
                byGroup[key] = acc = new GroupAccumulator(families.Count);
            }
            var fam = familyOf.TryGetValue(v.RuleId, out var f) ? f : Family(v.RuleId);
            acc.Add(familyIndex[fam], v.Outcome);
        }
        var groups = byGroup.Select((kv, i) => kv.Value.ToView(i, kv.Key, families)).ToList();

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
                TextSanitizer.Name(results.Run.ToolVersion),
                Iso(results.Run.StartedAt),
                Iso(results.Run.FinishedAt)),
            Parameters = results.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => new KeyValuePair<string, string>(TextSanitizer.Name(p.Key), TextSanitizer.Display(p.Value.GetRawText()))).ToList(),
            Families = families,
            Groups = groups,
        };
    }

    public static string Family(string ruleId)
    {
        var cut = ruleId.LastIndexOf('-');
        return cut > 0 ? ruleId[..cut] : ruleId;
    }

    public static int Count(OutcomeCounts c, Outcome o) => o switch
    {
        Outcome.Pass => c.Pass,
        Outcome.Fail => c.Fail,
        Outcome.Error => c.Error,
        Outcome.NotApplicable => c.NotApplicable,
        _ => c.Waived,
    };

    public static string Iso(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed class GroupAccumulator(int families)
    {
        private readonly int[,] _cells = new int[families, OutcomeOrder.Length];
        private readonly int[] _totals = new int[OutcomeOrder.Length];

        public void Add(int family, Outcome o)
        {
            _cells[family, Rank(o)]++;
            _totals[Rank(o)]++;
        }

        public GroupView ToView(int index, GroupKey key, List<string> familyNames)
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
            return new GroupView(index, TextSanitizer.Name(key.Label), key.Kind.ToString().ToLowerInvariant(),
                _totals[Rank(Outcome.Fail)], _totals[Rank(Outcome.Error)], _totals[Rank(Outcome.Waived)], _totals[Rank(Outcome.Pass)], _totals[Rank(Outcome.NotApplicable)],
                _totals.Sum(), cells);
        }
    }
}

public sealed record CountView(string Outcome, string Word, int Count);

public sealed record SeverityRowView(string Severity, int Fail, int Error, int Waived, int Pass, int NotApplicable, int Total);

public sealed record ProvenanceView(string SnapshotPath, string CollectedAt, string SnapshotSha256, int Hosts, bool Complete, IReadOnlyList<RuleSetView> RuleSets, string ToolVersion, string StartedAt, string FinishedAt);

public sealed record RuleSetView(string Id, string Version, string Title, string Path, string Sha256);

public sealed record GroupView(int Index, string Label, string Kind, int Fail, int Error, int Waived, int Pass, int NotApplicable, int Total, IReadOnlyList<CellView> Cells);

/// <summary>One matrix cell: the worst outcome of a group's checks in one rule family, as a word and a count (readable without colour).</summary>
public sealed record CellView(string Family, string Outcome, string Word, int Count, string Detail);

/// <summary>Compact table data for the findings table, embedded as JSON and rendered by the page's script with textContent only.</summary>
internal static class ReportData
{
    public static byte[] Build(ResultsDocument results, ReportView view)
    {
        var ruleIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var groupIndex = new Dictionary<GroupKey, int>();
        foreach (var g in results.Results.Select(ReportGroups.Of).Distinct().Order(ReportGroups.Order))
        {
            groupIndex[g] = groupIndex.Count;
        }
        using var ms = new MemoryStream();
        // The default encoder escapes <, >, &, ', + and non-ASCII, so the JSON cannot close its <script> element.
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
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
            var familyIndex = view.Families.Select((f, i) => (f, i)).ToDictionary(x => x.f, x => x.i, StringComparer.Ordinal);
            w.WriteStartArray("rules");
            var rules = results.Rules.ToList();
            foreach (var id in results.Results.Select(v => v.RuleId).Distinct(StringComparer.Ordinal).Where(id => rules.All(r => r.Id != id)))
            {
                rules.Add(new RuleInfo { Id = id, Title = id, Family = ReportView.Family(id) });
            }
            foreach (var r in rules)
            {
                ruleIndex[r.Id] = ruleIndex.Count;
                w.WriteStartArray();
                w.WriteStringValue(TextSanitizer.Name(r.Id));
                w.WriteStringValue(TextSanitizer.Display(r.Title));
                w.WriteNumberValue(familyIndex.TryGetValue(r.Family, out var fi) ? fi : familyIndex[ReportView.Family(r.Id)]);
                w.WriteStringValue(r.Severity.Name());
                w.WriteStringValue(r.Scope.Name());
                w.WriteStringValue(TextSanitizer.Display(r.Rationale));
                w.WriteStringValue(TextSanitizer.Display(r.Remediation));
                w.WriteStartArray();
                foreach (var reference in r.References)
                {
                    w.WriteStringValue(TextSanitizer.Display(reference));
                }
                w.WriteEndArray();
                w.WriteEndArray();
            }
            w.WriteEndArray();
            // One row per verdict: [rule, group, outcome, severity, entity, message, expected, actual, waiver|null]
            w.WriteStartArray("verdicts");
            foreach (var v in results.Results)
            {
                w.WriteStartArray();
                w.WriteNumberValue(ruleIndex[v.RuleId]);
                w.WriteNumberValue(groupIndex[ReportGroups.Of(v)]);
                w.WriteNumberValue((int)v.Outcome);
                w.WriteStringValue(v.Severity.Name());
                w.WriteStringValue(TextSanitizer.Name(v.Entity));
                w.WriteStringValue(TextSanitizer.Display(v.Message));
                WriteNullable(w, v.Expected);
                WriteNullable(w, v.Actual);
                if (v.Waiver is { } wv)
                {
                    w.WriteStartArray();
                    w.WriteStringValue(TextSanitizer.Display(wv.Justification));
                    w.WriteStringValue(TextSanitizer.Name(wv.Owner));
                    WriteNullable(w, wv.Ticket);
                    w.WriteStringValue(wv.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                    w.WriteBooleanValue(wv.Expired);
                    w.WriteStringValue(TextSanitizer.Name(wv.Rule + " " + wv.Entity));
                    w.WriteEndArray();
                }
                else
                {
                    w.WriteNullValue();
                }
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    private static void WriteNullable(Utf8JsonWriter w, string? s)
    {
        if (s is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteStringValue(TextSanitizer.Display(s));
        }
    }
}
