using System.Globalization;
using System.Text;
using Audit.Core;
using Audit.Core.Results;

namespace Audit.Reports;

/// <summary>
/// The words every renderer uses for drift. A check that failed in the baseline and is no longer failing is either
/// <em>fixed</em> (checked now, and passing or not applicable) or <em>no longer checked</em>: its entity is gone (a VM
/// deleted, a host left the estate) or its rule was not evaluated this time. Only the first is progress.
/// </summary>
internal static class DriftWords
{
    public const string NewFailures = "new failures";
    public const string WaiversExpired = "failing again (waiver expired)";
    public const string Fixed = "fixed";
    public const string Gone = "no longer checked";
    public const string StillFailing = "still failing";
    public const string NewlyWaived = "newly waived";

    public static bool IsFixed(DriftItem resolved) => resolved.Outcome is not null;

    /// <summary>Why a failure of the baseline is no longer checked: its rule was not evaluated, or its entity is gone.</summary>
    public static string GoneReason(DriftItem resolved, DriftReport d) =>
        d.RulesRemoved.Contains(resolved.RuleId, StringComparer.Ordinal) ? "rule not evaluated in this run" : "entity gone from this run";

    /// <summary>The counts in reading order, with the resolved checks split into fixed and no longer checked.</summary>
    public static IReadOnlyList<KeyValuePair<string, int>> Counts(DriftReport d)
    {
        var c = d.Counts;
        var fixedCount = d.Resolved.Count(IsFixed);
        return
        [
            new(NewFailures, c.NewFailures), new(WaiversExpired, c.WaiversExpired), new(Fixed, fixedCount),
            new(Gone, d.Resolved.Count - fixedCount), new(StillFailing, c.StillFailing), new(NewlyWaived, c.NewlyWaived),
        ];
    }

    /// <summary>"1 day", "31 days".</summary>
    public static string Days(int n) => n.ToString(CultureInfo.InvariantCulture) + (n is 1 or -1 ? " day" : " days");

    /// <summary>A waiver's expiry relative to the day it was judged: "expired 31 days ago", "expires today", "expires in 11 days".</summary>
    public static string Expiry(int daysLeft) => daysLeft switch
    {
        < 0 => $"expired {Days(-daysLeft)} ago",
        0 => "expires today",
        _ => $"expires in {Days(daysLeft)}",
    };
}

/// <summary>Drift as text (audit diff, and the "since last run" lines after a run): new failures first.</summary>
public static class DriftTextWriter
{
    /// <summary>Lists of names are wrapped to this width.</summary>
    public const int Width = 100;

    /// <summary>Writes the drift <paramref name="d"/> to <paramref name="w"/>; <paramref name="brief"/> stops after the new failures and expired waivers.</summary>
    public static void Write(TextWriter w, DriftReport d, bool brief)
    {
        var c = d.Counts;
        var since = d.Baseline.CollectedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var counts = DriftWords.Counts(d);
        // "1 new failure(s)" reads as a count of failures; the other counts name their category after the number.
        Line(w, $"SINCE {since}{(d.Baseline.Path is { } p ? $" ({p})" : "")}: {c.NewFailures} new failure(s), "
            + string.Join(", ", counts.Skip(1).Select(k => $"{k.Value} {k.Key}"))
            + $"; hosts +{c.HostsAdded} -{c.HostsRemoved}, VMs +{c.VmsAdded} -{c.VmsRemoved}");
        Section(w, "New failures", d.NewFailures, i => $"{i.Message}{Was(i)}");
        Section(w, "Failing again, its waiver expired", d.WaiversExpired, i => $"{i.Message} (waiver expired on {Date(i.Waiver?.Expires)}, owner {i.Waiver?.Owner})");
        if (brief)
        {
            return;
        }
        Section(w, "Newly waived", d.NewlyWaived, i => WaiverWording.WaivedUntil(i.Waiver));
        Section(w, "Fixed (failed in the baseline, now checked and not failing)", d.Resolved.Where(DriftWords.IsFixed).ToList(), i => $"now {i.Outcome!.Value.Name()}");
        Gone(w, d);
        Section(w, "Still failing", d.StillFailing, i => $"{i.ConsecutiveRuns} runs in a row: {i.Message}");
        List(w, "Hosts added", d.HostsAdded);
        List(w, "Hosts removed", d.HostsRemoved);
        ByHost(w, "VMs added", d.VmsAdded);
        ByHost(w, "VMs removed", d.VmsRemoved);
        List(w, "Rules added", d.RulesAdded);
        List(w, "Rules removed", d.RulesRemoved);
    }

    /// <summary>Failures of the baseline that were not checked now, one line per entity (a deleted VM takes all its checks with it).</summary>
    private static void Gone(TextWriter w, DriftReport d)
    {
        var gone = d.Resolved.Where(i => !DriftWords.IsFixed(i)).ToList();
        if (gone.Count == 0)
        {
            return;
        }
        Line(w, $"No longer checked ({gone.Count}): failed in the baseline, not checked now; not known to be fixed:");
        foreach (var entity in gone.GroupBy(i => (i.Entity, Reason: DriftWords.GoneReason(i, d))).OrderBy(g => g.Key.Entity, StringComparer.Ordinal))
        {
            Wrapped(w, $"  {entity.Key.Entity} ({entity.Key.Reason}): ", "    ", entity.Select(i => i.RuleId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        }
    }

    private static string Was(DriftItem i) => i.PreviousOutcome is { } o ? $" (was {o.Name()})" : " (not checked before)";

    private static string Date(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "?";

    private static void Section(TextWriter w, string title, IReadOnlyList<DriftItem> items, Func<DriftItem, string> detail)
    {
        if (items.Count == 0)
        {
            return;
        }
        Line(w, $"{title} ({items.Count}):");
        foreach (var i in items)
        {
            Line(w, $"  {i.Severity.Name(),-8} {i.RuleId} {i.Entity}: {detail(i)}");
        }
    }

    private static void List(TextWriter w, string title, IReadOnlyList<string> items)
    {
        if (items.Count > 0)
        {
            Line(w, $"{title} ({items.Count}):");
            Wrapped(w, "  ", "  ", items);
        }
    }

    /// <summary>VM keys (HOST/VM) listed under their host, a line (or a few wrapped ones) per host.</summary>
    private static void ByHost(TextWriter w, string title, IReadOnlyList<string> vms)
    {
        if (vms.Count == 0)
        {
            return;
        }
        Line(w, $"{title} ({vms.Count}):");
        foreach (var host in vms.GroupBy(v => v.IndexOf('/', StringComparison.Ordinal) is var i && i > 0 ? v[..i] : "").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var names = host.Select(v => host.Key.Length > 0 ? v[(host.Key.Length + 1)..] : v);
            Wrapped(w, $"  {(host.Key.Length > 0 ? host.Key : "(no host)")} ({host.Count()}): ", "    ", names);
        }
    }

    /// <summary>Items joined with ", " after <paramref name="first"/>, broken before an item that would pass <see cref="Width"/>.</summary>
    private static void Wrapped(TextWriter w, string first, string indent, IEnumerable<string> items)
    {
        var line = new StringBuilder(first);
        var empty = true;
        foreach (var raw in items)
        {
            var item = TextSanitizer.Name(raw);
            if (!empty && line.Length + item.Length + 2 > Width)
            {
                Line(w, line.Append(',').ToString());
                line.Clear().Append(indent);
                empty = true;
            }
            if (!empty)
            {
                line.Append(", ");
            }
            line.Append(item);
            empty = false;
        }
        Line(w, line.ToString());
    }

    private static void Line(TextWriter w, string text) => w.WriteLine(TextSanitizer.Display(text, keepNewlines: false));
}
