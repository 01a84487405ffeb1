using System.Text.RegularExpressions;
using Audit.Tests.Common;
using Audit.Rules.Compilation;
using Audit.Rules.Waivers;
using Audit.Core.Results;

namespace Audit.Reports.Tests;

/// <summary>
/// The report printed to PDF by headless Chromium (--print-to-pdf, as an auditor's "save as PDF" would) and read back
/// with pdftotext (Debian poppler-utils): the evidence of every failing, erroring and waived finding is on paper.
/// </summary>
public sealed partial class PrintToPdfTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Text with every run of white space (line and page breaks included) as one space.</summary>
    private static string Flat(string? text) => Spaces().Replace(text ?? "", " ").Trim();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    private string PrintToText(ResultsDocument results, string artifact = "report-sample.pdf")
    {
        var html = Path.Combine(_dir.Path, "report.html");
        using (var w = new StreamWriter(html))
        {
            HtmlReportRenderer.Render(results, w);
        }
        var pdf = Path.Combine(_dir.Path, "report.pdf");
        var profile = Path.Combine(_dir.Path, "chromium-profile");
        var print = Tools.Run("/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--disable-component-update", $"--user-data-dir={profile}", "--no-pdf-header-footer",
            $"--print-to-pdf={pdf}", new Uri(html).AbsoluteUri);
        Assert.True(File.Exists(pdf), $"chromium wrote no PDF (exit {print.ExitCode}): {print.Err}");
        var text = Tools.Run("/usr/bin/pdftotext", "-enc", "UTF-8", pdf, "-");
        Assert.True(text.ExitCode == 0, text.Err);
        File.Copy(pdf, Path.Combine(RepoPaths.Artifacts, artifact), overwrite: true);
        return text.Out;
    }

    [Fact]
    public void Every_failing_erroring_and_waived_finding_prints_with_its_evidence_and_every_page_says_what_it_is_evidence_of()
    {
        var catalog = RuleSetLoader.Load([RepoPaths.Rules]).Catalog!;
        var waivers = WaiversLoader.Load(Path.Combine(RepoPaths.Samples, "waivers.json"), catalog.Infos, displayPath: "samples/waivers.json");
        var results = WaiverApplier.Apply(TestResults.Sample.ToDraft(), waivers, DateOnly.FromDateTime(TestResults.Clock.UtcDateTime), 14).Results.Finish();
        Assert.Contains(results.Results, v => v.Outcome == Outcome.Waived);
        var text = PrintToText(results);
        var flat = Flat(text);

        // A header on every page: verdict, snapshot hash, each rule set's hash prefix.
        var pages = text.Split('\f').Where(p => p.Trim().Length > 0).ToList();
        Assert.True(pages.Count > 1);
        Assert.All(pages, p =>
        {
            var page = Flat(p);
            Assert.Contains($"NONCOMPLIANT (exit 1) | snapshot 2026-11-24T02:00:00Z sha256 {results.Run.Snapshot.Sha256}", page, StringComparison.Ordinal);
            Assert.All(results.Run.RuleSets, rs => Assert.Contains($"{rs.Id} {rs.Version} {rs.Sha256[..PrintHeader.RuleSetHashDigits]}", page, StringComparison.Ordinal));
        });

        var rules = results.Rules.ToDictionary(r => r.Id);
        var bad = results.Results.Where(v => v.Outcome is Outcome.Fail or Outcome.Error or Outcome.Waived).ToList();
        Assert.Contains($"Evidence: {bad.Count} failing, erroring and waived checks", flat, StringComparison.Ordinal);
        foreach (var v in bad)
        {
            var what = $"{v.RuleId} {v.Entity}";
            // Entity names print whole (no WHISKE|Y), with expected, actual and the remediation of each failing finding.
            Assert.True(flat.Contains($"{v.RuleId} {Flat(v.Entity.Key)}", StringComparison.Ordinal), what);
            Assert.True(flat.Contains(Flat(v.Expected), StringComparison.Ordinal), $"{what}: expected {v.Expected}");
            Assert.True(flat.Contains(Flat(v.Actual), StringComparison.Ordinal), $"{what}: actual {v.Actual}");
            if (v.Outcome is Outcome.Fail or Outcome.Error)
            {
                Assert.True(flat.Contains(Flat(v.Remediation ?? rules[v.RuleId].Remediation), StringComparison.Ordinal), $"{what}: remediation");
            }
            if (v.Waiver is { } w)
            {
                Assert.True(flat.Contains(Flat(w.Justification), StringComparison.Ordinal), $"{what}: waiver");
                // An owner's address is one word on paper (not hyperv-|ops@corp.exa|mple).
                Assert.True(flat.Contains("owner: " + w.Owner, StringComparison.Ordinal), $"{what}: owner {w.Owner}");
            }
        }
        // Collapsed sections print opened: parameters used.
        Assert.Contains("Parameters used", flat, StringComparison.Ordinal);
        Assert.Contains(results.Parameters.Keys.First(), flat, StringComparison.Ordinal);
    }

    [Fact]
    public void The_trend_prints_its_chart_labels_every_run_in_its_table_and_each_failing_rule_its_own_trend()
    {
        var (tonight, nights) = NightlyResults.WithFiveRunTrend();
        var flat = Flat(PrintToText(tonight, "report-trend.pdf"));
        Assert.Contains("Trend Failing and erroring checks by severity in the last 5 runs", flat, StringComparison.Ordinal);
        // The chart's own text (drawn by us in SVG): its title in the caption, end labels and dates.
        Assert.Contains("Failing checks by severity", flat, StringComparison.Ordinal);
        var high = nights[^1].Results.Count(v => v.Outcome == Outcome.Fail && v.Severity == Severity.High);
        Assert.Contains($"high {high}", flat, StringComparison.Ordinal);
        Assert.Contains("this run", flat, StringComparison.Ordinal);
        // Every run's row with its numbers.
        for (var i = 0; i < nights.Count; i++)
        {
            var n = nights[i];
            var at = ReportView.Iso(n.Run.Snapshot.CollectedAt);
            Assert.Contains($"{i + 1}{(i == nights.Count - 1 ? " (this run)" : "")} {at} {ReportView.Iso(n.Run.FinishedAt)} {n.Results.Count} {n.Summary.ByOutcome.Fail} ", flat, StringComparison.Ordinal);
        }
        // A failing rule's evidence carries its trend.
        var perRule = string.Join(", ", nights.Select((n, i) => i == 2 ? "not checked" : n.Results.Count(v => v.RuleId == NightlyResults.Unchecked && v.Outcome == Outcome.Fail).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains($"failing entities in the last 5 runs ({ReportView.Iso(nights[0].Run.Snapshot.CollectedAt)} to this run): {perRule};", flat, StringComparison.Ordinal);
    }
}
