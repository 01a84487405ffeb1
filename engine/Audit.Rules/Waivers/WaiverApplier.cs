using System.Globalization;
using Audit.Core;
using Audit.Core.Results;

namespace Audit.Rules.Waivers;

/// <summary>The outcome of applying waivers: results with waived verdicts and the waiver report, plus warnings to print.</summary>
public sealed record WaiverApplication(ResultsDraft Results, IReadOnlyList<Diagnostic> Warnings);

/// <summary>
/// Applies waivers to evaluated results. A waiver applies through its expiry date (inclusive, UTC): a failing check it
/// matches becomes waived, keeping message and evidence. Once expired it no longer applies: the check stays a fail and
/// records the expired waiver. Only failures are waived; errors, passes and not-applicable checks are left alone.
/// </summary>
public static class WaiverApplier
{
    public const int DefaultWarnDays = 14;

    public static WaiverApplication Apply(ResultsDraft results, WaiverSet set, DateOnly today, int warnDays = DefaultWarnDays)
    {
        var waivers = set.Waivers;
        var failing = new int[waivers.Count];
        var anyOutcome = new int[waivers.Count];
        var verdicts = new List<Verdict>(results.Results.Count);
        var waivedCount = 0;
        // Rule patterns and severity filters are judged once per (rule, severity), not once per verdict.
        var byRule = new Dictionary<(string, Severity), int[]>();
        foreach (var v in results.Results)
        {
            if (!byRule.TryGetValue((v.RuleId, v.Severity), out var candidates))
            {
                candidates = [.. Enumerable.Range(0, waivers.Count).Where(i => waivers[i].AppliesToRule(v.RuleId, v.Severity))];
                byRule[(v.RuleId, v.Severity)] = candidates;
            }
            LoadedWaiver? active = null, expired = null;
            foreach (var i in candidates)
            {
                var w = waivers[i];
                if (!w.Entity.IsMatch(v.Entity))
                {
                    continue;
                }
                anyOutcome[i]++;
                if (v.Outcome != Outcome.Fail)
                {
                    continue;
                }
                failing[i]++;
                if (w.Expires >= today)
                {
                    active ??= w;
                }
                else
                {
                    expired ??= w;
                }
            }
            if (active is not null)
            {
                waivedCount++;
                verdicts.Add(v with { Outcome = Outcome.Waived, Waiver = active.ToRef(expired: false) });
            }
            else if (expired is not null)
            {
                verdicts.Add(v with { Waiver = expired.ToRef(expired: true) });
            }
            else
            {
                verdicts.Add(v);
            }
        }

        var evaluated = new HashSet<string>(results.Rules.Select(r => r.Id), StringComparer.Ordinal);
        var unmatched = new List<WaiverStatus>();
        var soon = new List<WaiverStatus>();
        var gone = new List<WaiverStatus>();
        var notEvaluated = new List<WaiverStatus>();
        var bag = new DiagnosticBag();
        for (var i = 0; i < waivers.Count; i++)
        {
            var w = waivers[i];
            var days = w.Expires.DayNumber - today.DayNumber;
            var status = Status(w, days, failing[i]);
            var date = w.Expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (!evaluated.Any(id => Glob.IsMatch(w.Definition.Rule, id)))
            {
                notEvaluated.Add(status with { Reason = "its rules were not selected in this run" });
                continue;
            }
            if (days < 0)
            {
                gone.Add(status);
                bag.Warning(DiagnosticCodes.WaiverExpired,
                    $"{w} (owner {w.Definition.Owner}) expired on {date} and no longer applies; {Checks(failing[i])} it matches count as failures again",
                    set.DisplayPath, w.Line, w.Column);
                continue;
            }
            if (failing[i] == 0)
            {
                var reason = anyOutcome[i] == 0
                    ? "matches no check in this run"
                    : $"matches {Checks(anyOutcome[i])}, none failing";
                unmatched.Add(status with { Reason = reason });
                bag.Warning(DiagnosticCodes.WaiverUnmatched, $"{w} {reason}: the exception is stale (remove it or fix its pattern)", set.DisplayPath, w.Line, w.Column);
            }
            if (days <= warnDays)
            {
                soon.Add(status);
                bag.Warning(DiagnosticCodes.WaiverExpiringSoon,
                    $"{w} (owner {w.Definition.Owner}) expires on {date}, {(days == 0 ? "today" : $"in {days} day(s)")}",
                    set.DisplayPath, w.Line, w.Column);
            }
        }

        var doc = results with
        {
            Results = verdicts,
            Run = results.Run with { Waivers = set.File },
            Waivers = new WaiverReport
            {
                Today = today,
                WarnDays = warnDays,
                Waived = waivedCount,
                Unmatched = unmatched,
                ExpiringSoon = soon,
                Expired = gone,
                NotEvaluated = notEvaluated,
            },
        };
        return new WaiverApplication(doc, bag.Sorted());
    }

    private static string Checks(int n) => n == 1 ? "1 check" : $"{n} checks";

    private static WaiverStatus Status(LoadedWaiver w, int days, int matched) => new()
    {
        Index = w.Index,
        Line = w.Line,
        Rule = w.Definition.Rule,
        Entity = w.Definition.Entity,
        Justification = w.Definition.Justification,
        Owner = w.Definition.Owner,
        Ticket = w.Definition.Ticket,
        Expires = w.Expires,
        DaysLeft = days,
        Matched = matched,
    };
}
