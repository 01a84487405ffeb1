using Audit.Core.Results;

namespace Audit.Reports.Tests;

/// <summary>Sentences an auditor reads: waiver expiry, drift categories, run times.</summary>
public class ReportWordingTests
{
    private static ResultsDocument WithExpiredWaiver()
    {
        var nightly = NightlyResults.WithDriftAndWaivers();
        var expired = new WaiverStatus { Rule = "SMB-002", Entity = "XRAY", Owner = "facilities-it@corp.example", Justification = "print server migration", Expires = new DateOnly(2026, 10, 24), DaysLeft = -31, Matched = 1 };
        return nightly with { Waivers = nightly.Waivers! with { Expired = [expired] } };
    }

    [Theory]
    [InlineData(-31, "expired 31 days ago")]
    [InlineData(-1, "expired 1 day ago")]
    [InlineData(0, "expires today")]
    [InlineData(1, "expires in 1 day")]
    [InlineData(11, "expires in 11 days")]
    public void Waiver_expiry_is_a_sentence_not_a_signed_number(int daysLeft, string words) =>
        Assert.Equal(words, DriftWords.Expiry(daysLeft));

    [Fact]
    public void The_waiver_report_says_how_long_ago_a_waiver_expired_and_keeps_the_reason_apart_from_the_justification()
    {
        var html = HtmlReportRenderer.Render(WithExpiredWaiver());
        Assert.Contains("<td>2026-10-24: expired 31 days ago</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("-31 days", html, StringComparison.Ordinal);
        // The stale waiver: the owner's justification in one cell, why it is listed in the next.
        Assert.Contains("<td>&lt;b&gt;decommissioned&lt;/b&gt;</td><td>matches no failing check</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Drift_counts_fixed_checks_apart_from_checks_no_longer_made()
    {
        var nightly = NightlyResults.WithDriftAndWaivers();
        var gone = new DriftItem { RuleId = "DISK-001", Entity = "ZULU/GONE", Severity = Severity.Medium, PreviousOutcome = Outcome.Fail, Message = "m" };
        var drift = nightly.Drift! with { Resolved = [.. nightly.Drift!.Resolved, gone] };
        var view = DriftView.From(drift);
        Assert.Equal([("new failures", 1), ("failing again (waiver expired)", 0), ("fixed", 0), ("no longer checked", 1), ("still failing", drift.Counts.StillFailing), ("newly waived", drift.Counts.NewlyWaived)],
            view.Counts.Select(c => (c.Key, c.Value)));
        Assert.Equal("entity gone from this run", Assert.Single(view.Gone).Note);
        var html = HtmlReportRenderer.Render(nightly with { Drift = drift });
        Assert.Contains("No longer checked: failed in the baseline, not checked now, so not known to be fixed (1)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pinned_run_clock_shows_one_instant_and_a_real_run_its_duration()
    {
        var t = new DateTimeOffset(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);
        Assert.StartsWith("2026-11-24T03:00:00Z (start and end recorded as one instant", ReportView.RunTime(t, t), StringComparison.Ordinal);
        Assert.Equal("2026-11-24T03:00:00Z to 2026-11-24T03:00:12Z, took 12.5 s", ReportView.RunTime(t, t.AddSeconds(12.5)));
        Assert.DoesNotContain("03:00:00Z &ndash; 2026", HtmlReportRenderer.Render(TestResults.Sample), StringComparison.Ordinal);
    }
}
