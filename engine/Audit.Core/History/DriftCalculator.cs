using Audit.Core.Results;

namespace Audit.Core.History;

/// <summary>
/// Compares a run with a baseline run (results.json files): what failed anew, what was resolved, what keeps failing
/// (and for how many runs), what was newly waived, which waivers expired, and which hosts and VMs came or went.
/// Categories are exclusive; checks are identified by (rule id, entity).
/// </summary>
public static class DriftCalculator
{
    /// <param name="current">This run.</param>
    /// <param name="earlier">Earlier runs, newest first; the first is the baseline. Further ones (from --history) only lengthen consecutive failure counts.</param>
    /// <param name="baselinePath">Display path of the baseline file, if it has one.</param>
    /// <param name="baselineSha256">Hash of the baseline file's bytes.</param>
    public static DriftReport Compute(ResultsDocument current, IReadOnlyList<ResultsDocument> earlier, string? baselinePath, string baselineSha256) =>
        Compute(current.ToDraft(), earlier, baselinePath, baselineSha256);

    /// <inheritdoc cref="Compute(ResultsDocument, IReadOnlyList{ResultsDocument}, string?, string)"/>
    public static DriftReport Compute(ResultsDraft current, IReadOnlyList<ResultsDocument> earlier, string? baselinePath, string baselineSha256)
    {
        ArgumentOutOfRangeException.ThrowIfZero(earlier.Count);
        var baseline = earlier[0];
        var before = Index(baseline.Results);
        var now = Index(current.Results);
        var olderIndexes = earlier.Skip(1).Select(e => Index(e.Results)).ToList();

        var newFailures = new List<DriftItem>();
        var resolved = new List<DriftItem>();
        var still = new List<DriftItem>();
        var newlyWaived = new List<DriftItem>();
        var expired = new List<DriftItem>();
        foreach (var v in current.Results)
        {
            before.TryGetValue(Key(v), out var old);
            var oldOutcome = old?.Outcome;
            switch (v.Outcome)
            {
                case Outcome.Fail when oldOutcome == Outcome.Fail:
                    var runs = 2;
                    foreach (var idx in olderIndexes)
                    {
                        if (!idx.TryGetValue(Key(v), out var o) || o.Outcome != Outcome.Fail)
                        {
                            break;
                        }
                        runs++;
                    }
                    still.Add(Item(v, oldOutcome) with { ConsecutiveRuns = runs });
                    break;
                case Outcome.Fail when v.Waiver is { Expired: true }:
                    expired.Add(Item(v, oldOutcome) with { Waiver = v.Waiver });
                    break;
                case Outcome.Fail:
                    newFailures.Add(Item(v, oldOutcome));
                    break;
                case Outcome.Waived when oldOutcome != Outcome.Waived:
                    newlyWaived.Add(Item(v, oldOutcome) with { Waiver = v.Waiver });
                    break;
                case Outcome.Pass or Outcome.NotApplicable when oldOutcome == Outcome.Fail:
                    resolved.Add(Item(v, oldOutcome));
                    break;
                default:
                    break;
            }
        }
        foreach (var old in baseline.Results)
        {
            if (old.Outcome == Outcome.Fail && !now.ContainsKey(Key(old)))
            {
                resolved.Add(new DriftItem { RuleId = old.RuleId, Entity = old.Entity.Key, Severity = old.Severity, Outcome = null, PreviousOutcome = Outcome.Fail, Message = old.Message });
            }
        }

        var (hostsNow, vmsNow) = Inventory(current.Results);
        var (hostsBefore, vmsBefore) = Inventory(baseline.Results);
        var rulesNow = current.Rules.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var rulesBefore = baseline.Rules.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var report = new DriftReport
        {
            Baseline = new BaselineRef
            {
                Path = baselinePath,
                Sha256 = baselineSha256,
                CollectedAt = baseline.Run.Snapshot.CollectedAt,
                StartedAt = baseline.Run.StartedAt,
                HistoryRuns = earlier.Count - 1,
            },
            NewFailures = Sort(newFailures),
            Resolved = Sort(resolved),
            StillFailing = Sort(still),
            NewlyWaived = Sort(newlyWaived),
            WaiversExpired = Sort(expired),
            HostsAdded = Minus(hostsNow, hostsBefore),
            HostsRemoved = Minus(hostsBefore, hostsNow),
            VmsAdded = Minus(vmsNow, vmsBefore),
            VmsRemoved = Minus(vmsBefore, vmsNow),
            RulesAdded = Minus(rulesNow, rulesBefore),
            RulesRemoved = Minus(rulesBefore, rulesNow),
        };
        return report with
        {
            Counts = new DriftCounts
            {
                NewFailures = report.NewFailures.Count,
                Resolved = report.Resolved.Count,
                StillFailing = report.StillFailing.Count,
                NewlyWaived = report.NewlyWaived.Count,
                WaiversExpired = report.WaiversExpired.Count,
                HostsAdded = report.HostsAdded.Count,
                HostsRemoved = report.HostsRemoved.Count,
                VmsAdded = report.VmsAdded.Count,
                VmsRemoved = report.VmsRemoved.Count,
            },
        };
    }

    /// <summary>
    /// Exit code of --fail-on-new: 1 when a new failure (or a failure whose waiver expired since the baseline) is at or
    /// above --fail-on; otherwise 2 when a check errors now that did not error in the baseline (fail closed: a new
    /// collection failure could hide a new failure); otherwise 0. Old failures and old errors do not count.
    /// </summary>
    public static int GateExitCode(ResultsDraft current, DriftReport drift, IReadOnlyList<ResultsDocument> earlier)
    {
        var failOn = current.Run.FailOn;
        if (drift.NewFailures.Concat(drift.WaiversExpired).Any(i => i.Severity <= failOn))
        {
            return ExitCodes.Failed;
        }
        var before = Index(earlier[0].Results);
        var newError = current.Results.Any(v => v.Outcome == Outcome.Error && (!before.TryGetValue(Key(v), out var o) || o.Outcome != Outcome.Error));
        return newError ? ExitCodes.Incomplete : ExitCodes.Compliant;
    }

    private static string Key(Verdict v) => v.RuleId + "\u0000" + v.Entity.Key;

    private static Dictionary<string, Verdict> Index(IReadOnlyList<Verdict> results)
    {
        var map = new Dictionary<string, Verdict>(StringComparer.Ordinal);
        foreach (var v in results)
        {
            map.TryAdd(Key(v), v);
        }
        return map;
    }

    private static DriftItem Item(Verdict v, Outcome? previous) => new()
    {
        RuleId = v.RuleId,
        Entity = v.Entity.Key,
        Severity = v.Severity,
        Outcome = v.Outcome,
        PreviousOutcome = previous,
        Message = v.Message,
    };

    private static List<DriftItem> Sort(List<DriftItem> items) =>
        [.. items.OrderBy(i => i.Severity).ThenBy(i => i.RuleId, StringComparer.Ordinal).ThenBy(i => i.Entity, StringComparer.Ordinal)];

    private static List<string> Minus(HashSet<string> a, HashSet<string> b) => [.. a.Where(x => !b.Contains(x)).Order(StringComparer.Ordinal)];

    /// <summary>Hosts and VMs seen in a run's verdicts (host-scoped entities and verdict hosts; VM entities except the stand-in for a failed VM inventory).</summary>
    private static (HashSet<string> Hosts, HashSet<string> Vms) Inventory(IReadOnlyList<Verdict> results)
    {
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var vms = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var v in results)
        {
            if (v.Entity.Kind == EntityKind.Host)
            {
                hosts.Add(v.Entity.Name);
            }
            if (v.Host is not null && v.Scope != Scope.Cluster)
            {
                hosts.Add(v.Host);
            }
            if (v.Entity.Kind == EntityKind.Vm && !v.Entity.IsStandIn)
            {
                vms.Add(v.Entity.Key);
            }
        }
        return (hosts, vms);
    }
}
