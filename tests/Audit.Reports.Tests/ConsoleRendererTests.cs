using Audit.Tests.Common;
using Audit.Core.Results;

namespace Audit.Reports.Tests;

public class ConsoleRendererTests
{
    private static string Render(ResultsDocument r, ConsoleOptions o)
    {
        using var w = new StringWriter { NewLine = "\n" };
        ConsoleRenderer.Render(r, w, o);
        return w.ToString();
    }

    [Fact]
    public void Sample_summary_matches_the_approved_text()
    {
        Approvals.Verify("Audit.Reports.Tests", "sample.console.txt", Render(TestResults.Sample, new ConsoleOptions()));
    }

    [Fact]
    public void The_verdict_line_comes_first_and_quiet_prints_only_it()
    {
        var quiet = Render(TestResults.Sample, new ConsoleOptions { Quiet = true });
        Assert.StartsWith("AUDIT NONCOMPLIANT: 43 failed, 3 errors", quiet, StringComparison.Ordinal);
        Assert.Single(quiet.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Colour_only_when_asked_and_facts_never_emit_escape_sequences()
    {
        var hostile = TestResults.Hostile();
        var plain = Render(hostile, new ConsoleOptions { MaxPerSeverity = 0 });
        Assert.DoesNotContain('\u001b', plain);
        Assert.DoesNotContain('\u0007', plain);
        Assert.DoesNotContain('\u202E', plain);
        Assert.Contains("esc\\u001b[31mRED", plain, StringComparison.Ordinal);
        Assert.Contains("KB-\\u001b[2J-001", plain, StringComparison.Ordinal);
        var coloured = Render(hostile, new ConsoleOptions { Color = true, MaxPerSeverity = 0 });
        Assert.Contains("\u001b[1;31mAUDIT NONCOMPLIANT:", coloured, StringComparison.Ordinal);
        // Every escape in the coloured output is one of ours (SGR codes), none from a fact.
        Assert.DoesNotMatch("\u001b\\[31mRED", coloured);
    }

    [Fact]
    public void Long_lists_are_cut_per_severity_with_the_remainder_counted()
    {
        var text = Render(TestResults.Hostile(), new ConsoleOptions { MaxPerSeverity = 3 });
        Assert.Contains("... and ", text, StringComparison.Ordinal);
    }
}

public class ConsoleDriftTests
{
    [Fact]
    public void New_failures_come_right_after_the_verdict_line()
    {
        using var w = new StringWriter { NewLine = "\n" };
        ConsoleRenderer.Render(NightlyResults.WithDriftAndWaivers(), w, new ConsoleOptions());
        var lines = w.ToString().Split('\n');
        Assert.StartsWith("AUDIT NONCOMPLIANT", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("SINCE 2026-11-23T02:00:00Z", lines[1], StringComparison.Ordinal);
        Assert.Contains("1 new failure(s)", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("New failures (1):", lines[2], StringComparison.Ordinal);
        Assert.Contains("HV-IS-001 ZULU/FILE-2008R2", lines[3], StringComparison.Ordinal);
    }
}
