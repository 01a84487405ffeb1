using System.Globalization;
using System.Text;
using Audit.Core;
using Audit.Core.Results;

namespace Audit.Reports;

/// <summary>
/// JUnit XML for CI gates, valid against junit-10.xsd (Jenkins xUnit) and the stricter windyroad schema (Azure DevOps):
/// one testsuite per host, one per cluster, one for directory checks; testcase name "RULE-ID entity" (unique, stable),
/// classname "audit.GROUP.FAMILY" (Jenkins splits package and class at the last dot); failure for fail, error for
/// error, skipped with the reason for notApplicable and waived. Deterministic for the same results.json.
/// </summary>
internal static class JUnitRenderer
{
    public static string Render(ResultsDocument results)
    {
        using var ms = new MemoryStream();
        Render(results, ms);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    public static void Render(ResultsDocument results, Stream output)
    {
        using var w = new XmlOut(output);
        var timestamp = results.Run.StartedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var rules = results.Rules.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var groups = results.Results.GroupBy(ReportGroups.Of).OrderBy(g => g.Key, ReportGroups.Order).ToList();

        // No attributes on <testsuites>: the strict schema allows none (and Jenkins' junit-10 has no 'skipped' there);
        // the totals are properties of the first suite, and consumers total the suites themselves.
        w.StartElement("testsuites");
        var id = 0;
        foreach (var group in groups)
        {
            var verdicts = group.OrderBy(v => v.RuleId, StringComparer.Ordinal).ThenBy(v => v.Entity.Key, StringComparer.Ordinal).ToList();
            var name = Token(group.Key.Label);
            w.StartElement("testsuite");
            w.Attribute("name", name);
            w.Attribute("package", "audit." + Segment(group.Key.Label));
            w.Attribute("id", Int(id++));
            w.Attribute("timestamp", timestamp);
            w.Attribute("hostname", name);
            w.Attribute("tests", Int(verdicts.Count));
            w.Attribute("failures", Int(verdicts.Count(v => v.Outcome == Outcome.Fail)));
            w.Attribute("errors", Int(verdicts.Count(v => v.Outcome == Outcome.Error)));
            w.Attribute("skipped", Int(verdicts.Count(v => v.Outcome is Outcome.NotApplicable or Outcome.Waived)));
            w.Attribute("time", "0");

            w.StartElement("properties");
            if (ReferenceEquals(group, groups[0]))
            {
                // The run's properties and totals once per file, on the first suite: both schemas require <properties>
                // in every suite but neither lets the root carry them (the strict one allows no root attributes).
                RunProperties(w, results);
            }
            Property(w, "audit.group.kind", group.Key.Kind.ToString().ToLowerInvariant());
            w.EndElement();

            var seen = new Dictionary<string, int>(verdicts.Count, StringComparer.Ordinal);
            var classnames = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var v in verdicts)
            {
                var family = rules.TryGetValue(v.RuleId, out var rule) ? rule.Family : RuleInfo.FamilyOf(v.RuleId);
                var caseName = Token(v.RuleId + " ", v.Entity.Key);
                // Consumers drop or merge duplicate names; two VMs may share a name on one host.
                if (!seen.TryAdd(caseName, 1))
                {
                    var n = seen[caseName];
                    string candidate;
                    do
                    {
                        n++;
                        candidate = caseName + " #" + Int(n);
                    }
                    while (seen.ContainsKey(candidate));
                    seen[caseName] = n;
                    seen[candidate] = 1;
                    caseName = candidate;
                }
                w.StartElement("testcase");
                w.Attribute("name", caseName);
                if (!classnames.TryGetValue(family, out var classname))
                {
                    classnames[family] = classname = "audit." + Segment(group.Key.Label) + "." + Segment(family);
                }
                w.Attribute("classname", classname);
                w.Attribute("time", "0");
                switch (v.Outcome)
                {
                    case Outcome.Fail:
                        w.StartElement("failure");
                        w.Attribute("message", Clean($"[{v.Severity.Name()}] {v.Message}" + (v.Waiver is { Expired: true } x ? $" (waiver expired {x.Expires:yyyy-MM-dd})" : "")));
                        w.Attribute("type", v.Severity.Name());
                        WriteEvidence(w, v, rule);
                        w.EndElement();
                        break;
                    case Outcome.Error:
                        w.StartElement("error");
                        w.Attribute("message", Clean($"[{v.Severity.Name()}] {v.Message}"));
                        w.Attribute("type", "evaluation-error");
                        WriteEvidence(w, v, rule);
                        w.EndElement();
                        break;
                    case Outcome.NotApplicable:
                        w.StartElement("skipped");
                        w.Attribute("message", Clean("not applicable: " + v.Message));
                        WriteEvidence(w, v, rule);
                        w.EndElement();
                        break;
                    case Outcome.Waived:
                        w.StartElement("skipped");
                        w.Attribute("message", Clean(WaiverWording.WaivedUntil(v.Waiver)));
                        WriteEvidence(w, v, rule);
                        w.EndElement();
                        break;
                    default:
                        break;
                }
                w.EndElement();
            }
            w.ElementString("system-out", Clean(SuiteOut(verdicts)));
            w.ElementString("system-err", "");
            w.EndElement();
        }
        w.EndElement();
    }

    /// <summary>What identifies the run (snapshot, rule sets, tool, gate) and its totals: written once, on the first suite.</summary>
    private static void RunProperties(XmlOut w, ResultsDocument results)
    {
        Property(w, "audit.snapshot.sha256", results.Run.Snapshot.Sha256);
        Property(w, "audit.snapshot.collectedAt", ReportView.Iso(results.Run.Snapshot.CollectedAt));
        foreach (var rs in results.Run.RuleSets)
        {
            Property(w, "audit.ruleset." + Segment(rs.Id), rs.Version + " sha256:" + rs.Sha256);
        }
        Property(w, "audit.toolVersion", results.Run.ToolVersion);
        if (results.Run.ToolCommit is { } commit)
        {
            Property(w, "audit.toolCommit", commit);
        }
        Property(w, "audit.failOn", results.Run.FailOn.Name());
        Property(w, "audit.verdict", results.Summary.Verdict + " (exit " + Int(results.Summary.ExitCode) + ")");
        var o = results.Summary.ByOutcome;
        Property(w, "audit.totals.tests", Int(results.Results.Count));
        Property(w, "audit.totals.failures", Int(o.Fail));
        Property(w, "audit.totals.errors", Int(o.Error));
        Property(w, "audit.totals.skipped", Int(o.NotApplicable + o.Waived));
        Property(w, "audit.totals.time", "0");
    }

    /// <summary>The evidence block of a test case, written piece by piece (no string per verdict), each piece cleaned.</summary>
    private static void WriteEvidence(XmlOut w, Verdict v, RuleInfo? rule)
    {
        void Line(string label, string? value, string? more = null)
        {
            w.Text(label);
            w.Text(Clean(value));
            if (more is not null)
            {
                w.Text(Clean(more));
            }
            w.Text("\n");
        }
        Line("rule: ", v.RuleId, rule is null ? null : " " + rule.Title);
        Line("severity: ", v.Severity.Name());
        Line("entity: ", v.Entity.Key);
        Line("message: ", v.Message);
        Line("expected: ", v.Expected ?? "(none)");
        Line("actual: ", v.Actual ?? "(none)");
        if (v.Waiver is { } wv)
        {
            Line("waiver: ", (wv.Expired ? "expired " : "") + wv.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
                + ", owner " + wv.Owner + (wv.Ticket is null ? "" : ", ticket " + wv.Ticket) + ": " + wv.Justification);
        }
        // An error caused by collection carries its own fix (how to make the facts readable); otherwise the rule's.
        if ((v.Remediation ?? rule?.Remediation) is { Length: > 0 } fix && v.Outcome is Outcome.Fail or Outcome.Error)
        {
            Line("remediation: ", fix);
        }
    }

    private static string SuiteOut(List<Verdict> verdicts)
    {
        var sb = new StringBuilder();
        foreach (var o in ReportView.OutcomeOrder)
        {
            sb.Append(ReportView.OutcomeWord(o)).Append(": ").Append(Int(verdicts.Count(v => v.Outcome == o))).Append('\n');
        }
        return sb.ToString();
    }

    private static void Property(XmlOut w, string name, string value)
    {
        w.StartElement("property");
        w.Attribute("name", Token(name));
        w.Attribute("value", Clean(value));
        w.EndElement();
    }

    /// <summary>Text XML can carry: controls and lone surrogates made visible (\uXXXX), so the file stays well-formed.</summary>
    public static string Clean(string? text) => TextSanitizer.Display(text);

    /// <summary>xs:token values (names): one line, no leading/trailing or repeated spaces, never empty.</summary>
    public static string Token(string? text) => TokenOf(TextSanitizer.Name(text));

    /// <summary><see cref="Token(string?)"/> of <paramref name="prefix"/> + <paramref name="text"/>, without copying a long text whole first.</summary>
    public static string Token(string prefix, string text) => TokenOf(TextSanitizer.Name(prefix, text));

    private static string TokenOf(string name)
    {
        if (name.Length > 0 && name[0] != ' ' && name[^1] != ' ' && !name.Contains("  ", StringComparison.Ordinal))
        {
            return name;
        }
        var s = string.Join(' ', name.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return s.Length == 0 ? "(unnamed)" : s;
    }

    /// <summary>A dotted-classname segment: dots and whitespace would split it, so they become '_'.</summary>
    public static string Segment(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var ch in Token(text))
        {
            sb.Append(ch is '.' or ' ' ? '_' : ch);
        }
        return sb.ToString();
    }

    private static string Int(int n) => n.ToString(CultureInfo.InvariantCulture);
}
