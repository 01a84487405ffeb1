using System.Globalization;
using Audit.Core;

namespace Audit.Reports;

/// <summary>Drift as text (audit diff, and the "since last run" lines after a run): new failures first.</summary>
public static class DriftTextWriter
{
    public static void Write(TextWriter w, DriftReport d, bool brief)
    {
        var c = d.Counts;
        var since = d.Baseline.CollectedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        Line(w, $"SINCE {since}{(d.Baseline.Path is { } p ? $" ({p})" : "")}: {c.NewFailures} new failure(s), {c.WaiversExpired} failing again after waiver expiry, {c.Resolved} resolved, {c.StillFailing} still failing, {c.NewlyWaived} newly waived; hosts +{c.HostsAdded} -{c.HostsRemoved}, VMs +{c.VmsAdded} -{c.VmsRemoved}");
        Section(w, "New failures", d.NewFailures, i => $"{i.Message}{Was(i)}");
        Section(w, "Failing again: waiver expired", d.WaiversExpired, i => $"{i.Message} (waiver expired on {Date(i.Waiver?.Expires)}, owner {i.Waiver?.Owner})");
        if (brief)
        {
            return;
        }
        Section(w, "Newly waived", d.NewlyWaived, i => $"waived until {Date(i.Waiver?.Expires)} by {i.Waiver?.Owner}{(i.Waiver?.Ticket is { } t ? $" ({t})" : "")}: {i.Waiver?.Justification}");
        Section(w, "Resolved", d.Resolved, i => i.Outcome is { } o ? $"now {o.Name()}" : "no longer checked");
        Section(w, "Still failing", d.StillFailing, i => $"{i.ConsecutiveRuns} runs in a row: {i.Message}");
        List(w, "Hosts added", d.HostsAdded);
        List(w, "Hosts removed", d.HostsRemoved);
        List(w, "VMs added", d.VmsAdded);
        List(w, "VMs removed", d.VmsRemoved);
        List(w, "Rules added", d.RulesAdded);
        List(w, "Rules removed", d.RulesRemoved);
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
            Line(w, $"{title} ({items.Count}): {string.Join(", ", items)}");
        }
    }

    private static void Line(TextWriter w, string text) => w.WriteLine(TextSanitizer.Display(text, keepNewlines: false));
}
