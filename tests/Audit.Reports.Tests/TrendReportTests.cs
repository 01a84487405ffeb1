using System.Globalization;
using Audit.Core;
using Audit.Core.History;
using Audit.Tests.Common;
using Audit.Core.Results;

namespace Audit.Reports.Tests;

/// <summary>The trend section in a real headless Chromium: the chart drawn by us as inline SVG, its table, a rule's trend in its detail, and the sentence without history.</summary>
public sealed class TrendReportTests(ChromiumFixture fixture) : IClassFixture<ChromiumFixture>, IDisposable
{
    private readonly TempDir _dir = new();
    private HeadlessChromium Browser => fixture.Browser;

    public void Dispose() => _dir.Dispose();

    private void Open(ResultsDocument results, string name)
    {
        var path = Path.Combine(_dir.Path, name);
        using (var w = new StreamWriter(path))
        {
            HtmlReportRenderer.Render(results, w);
        }
        Browser.Log("browser");
        Browser.Navigate(new Uri(path).AbsoluteUri);
        Browser.WaitFor("return document.documentElement.getAttribute('data-ready') === 'true'");
    }

    private List<string> Strings(string script) => [.. Browser.Execute(script)!.AsArray().Select(x => x!.GetValue<string>())];

    private static int Count(ResultsDocument d, Outcome o, Severity s) => d.Results.Count(v => v.Outcome == o && v.Severity == s);

    [Fact]
    public void With_a_five_run_history_the_chart_has_five_points_per_severity_with_the_counts_of_each_run_and_its_table_agrees()
    {
        var (tonight, nights) = NightlyResults.WithFiveRunTrend("results-20261121T020000Z.json", TestResults.HostileNames[0]);
        Open(tonight, "trend.html");

        Browser.Execute("document.getElementById('trend').scrollIntoView(); return true;");
        File.WriteAllBytes(Path.Combine(RepoPaths.Artifacts, "report-trend.png"), Browser.Screenshot());

        // Five runs on the x axis: the four nights by date, then this run.
        var labels = nights.Take(4).Select(n => n.Run.Snapshot.CollectedAt.UtcDateTime.ToString("MM-dd", CultureInfo.InvariantCulture)).Append("this run").ToList();
        Assert.Equal(labels, Strings("return Array.from(document.querySelectorAll('#trend-fail .x-label')).map(t => t.lastChild.textContent)"));
        Assert.Equal("Failing checks by severity", Browser.Execute<string>("return document.getElementById('trend-fail-title').textContent"));
        Assert.Contains("in 5 runs", Browser.Execute<string>("return document.getElementById('trend-fail-desc').textContent"), StringComparison.Ordinal);
        Assert.Equal("trend-fail-title trend-fail-desc", Browser.Execute<string>("return document.getElementById('trend-fail').getAttribute('aria-labelledby')"));

        // Each severity with a failure in any run is a line of five points whose values are that run's failing checks.
        foreach (var s in Enum.GetValues<Severity>())
        {
            var expected = nights.Select(n => Count(n, Outcome.Fail, s)).ToList();
            var points = Strings($"return Array.from(document.querySelectorAll('#trend-fail g[data-severity={s.Name()}] .pt')).map(p => p.getAttribute('data-value'))");
            if (expected.All(n => n == 0))
            {
                Assert.Empty(points);
                Assert.Contains(s.Name(), Browser.Execute<string>("return document.getElementById('trend-fail').parentNode.querySelector('figcaption').textContent"), StringComparison.Ordinal);
                continue;
            }
            Assert.Equal(expected.Select(n => n.ToString(CultureInfo.InvariantCulture)), points);
            Assert.Equal($"{s.Name()} {expected[^1]}", Browser.Execute<string>($"return document.querySelector('#trend-fail g[data-severity={s.Name()}] .end-label').textContent"));
        }
        // The earlier nights fail more high checks than tonight: the line falls.
        var high = nights.Select(n => Count(n, Outcome.Fail, Severity.High)).ToList();
        Assert.True(high[0] > high[^1]);
        // Higher counts are drawn higher (smaller y).
        var ys = Browser.Execute("return Array.from(document.querySelectorAll('#trend-fail g[data-severity=high] .pt')).map(p => p.getBBox().y)")!.AsArray().Select(y => y!.GetValue<double>()).ToList();
        Assert.True(ys[0] < ys[^1]);
        // Lines differ by more than colour: every severity drawn has its own dash pattern or marker shape.
        var styles = Strings("return Array.from(document.querySelectorAll('#trend-fail .series')).map(g => (g.querySelector('.line').getAttribute('stroke-dasharray') || 'solid') + '/' + g.querySelector('.pt').getAttribute('class'))");
        Assert.Equal(styles.Count, styles.Distinct().Count());

        // Errors too: night 2's erroring medium check.
        var mediumErrors = nights.Select(n => Count(n, Outcome.Error, Severity.Medium).ToString(CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(mediumErrors, Strings("return Array.from(document.querySelectorAll('#trend-error g[data-severity=medium] .pt')).map(p => p.getAttribute('data-value'))"));

        // The table gives every number, this run last.
        Assert.Equal(nights.Select(n => n.Summary.ByOutcome.Fail.ToString(CultureInfo.InvariantCulture)),
            Strings("return Array.from(document.querySelectorAll('#trend-table tbody td[data-fail]')).map(td => td.textContent)"));
        Assert.Equal(nights.Select(n => n.Summary.ByOutcome.Error.ToString(CultureInfo.InvariantCulture)),
            Strings("return Array.from(document.querySelectorAll('#trend-table tbody td[data-error]')).map(td => td.textContent)"));
        Assert.Equal("true", Browser.Execute<string>("return document.querySelector('#trend-table tbody tr:last-child').getAttribute('data-current')"));

        // Unreadable kept runs are named as text (one has a hostile name) and nothing of it ran.
        var unreadable = Browser.Execute<string>("return document.getElementById('trend-unreadable').textContent");
        Assert.Contains("results-20261121T020000Z.json", unreadable, StringComparison.Ordinal);
        Assert.Contains(TestResults.HostileNames[0], unreadable, StringComparison.Ordinal);
        Assert.Equal(0, Browser.Execute<int>("return document.querySelectorAll('#trend img').length"));

        // A rule's detail shows its own trend: failing entities per run, "not checked" where a night did not check it.
        Browser.Execute($"document.getElementById('filter-rule').value = '{NightlyResults.Unchecked}'; document.getElementById('filter-rule').dispatchEvent(new Event('change', {{bubbles: true}})); return true;");
        Browser.Click("#findings-body tr.finding");
        var perRule = nights.Select((n, i) => i == 2 ? "not checked" : n.Results.Count(v => v.RuleId == NightlyResults.Unchecked && v.Outcome == Outcome.Fail).ToString(CultureInfo.InvariantCulture));
        var text = Browser.Execute<string>("return document.querySelector('#findings-body tr.detail .trend-text').textContent");
        Assert.Contains("failing entities in the last 5 runs", text, StringComparison.Ordinal);
        Assert.Contains(": " + string.Join(", ", perRule) + ";", text, StringComparison.Ordinal);
        Assert.Equal(4, Browser.Execute<int>("return document.querySelectorAll('#findings-body tr.detail svg.spark circle').length"));

        // Drawn without script: the chart is in the HTML as served, not added by the page's script.
        var html = File.ReadAllText(Path.Combine(_dir.Path, "trend.html"));
        Assert.Contains("<svg id=\"trend-fail\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain(Browser.Log("browser"), m => m.Contains("Content Security Policy", StringComparison.Ordinal) || m.Contains("Uncaught", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_history_the_section_says_how_to_get_a_trend_and_with_one_run_how_many_more_it_needs()
    {
        Open(TestResults.Sample, "none.html");
        var none = Browser.Execute<string>("return document.getElementById('trend-none').textContent");
        Assert.Contains("--history DIR", none, StringComparison.Ordinal);
        Assert.Contains("at least 2 runs", none, StringComparison.Ordinal);
        Assert.Equal(0, Browser.Execute<int>("return document.querySelectorAll('#trend svg, #trend-table').length"));

        var first = TestResults.Sample with { Trend = TrendCalculator.Compute(TestResults.Sample, []) };
        Open(first, "first.html");
        var one = Browser.Execute<string>("return document.getElementById('trend-none').textContent");
        Assert.Contains("Only this run", one, StringComparison.Ordinal);
        Assert.Contains("at least 2 runs", one, StringComparison.Ordinal);
        Assert.Equal(0, Browser.Execute<int>("return document.querySelectorAll('#trend svg').length"));
        // A rule's detail has no trend line with a single run.
        Browser.Click("#findings-body tr.finding");
        Assert.Equal(0, Browser.Execute<int>("return document.querySelectorAll('#findings-body tr.detail .trend-text').length"));
    }
}
