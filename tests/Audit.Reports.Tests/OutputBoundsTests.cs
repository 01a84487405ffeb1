using System.Text;
using System.Text.Json;
using Audit.Core;
using Audit.Core.Results;

namespace Audit.Reports.Tests;

/// <summary>A fact string of any size (a 20 MB VM name) cannot blow up the outputs people read: each shown value is cut
/// at <see cref="TextSanitizer.MaxDisplayLength"/> saying how much was left out; results.json keeps it whole.</summary>
public class OutputBoundsTests
{
    [Fact]
    public void A_huge_fact_string_is_cut_in_html_junit_and_console_and_kept_whole_in_results_json()
    {
        var huge = new string('N', 20 * 1024 * 1024);
        var sample = TestResults.Sample;
        var first = sample.Results[0];
        var results = sample with { Results = [first with { Entity = EntityId.Parse("HOST/" + huge, first.Scope), Message = "VM " + huge + " fails", Outcome = Outcome.Fail }, .. sample.Results.Skip(1)] };

        var html = HtmlReportRenderer.Render(results);
        using var junit = new MemoryStream();
        JUnitRenderer.Render(results, junit);
        var console = new StringWriter();
        ConsoleRenderer.Render(results, console, new ConsoleOptions());

        // Each appears a few times (entity, message, names): bounded by the count, not by 20 MB each.
        Assert.True(html.Length < 2 * 1024 * 1024, $"html {html.Length:N0}");
        Assert.True(junit.Length < 2 * 1024 * 1024, $"junit {junit.Length:N0}");
        Assert.True(console.ToString().Length < 1024 * 1024, $"console {console.ToString().Length:N0}");
        Assert.Contains("more characters; the whole value is in results.json]", Encoding.UTF8.GetString(junit.ToArray()), StringComparison.Ordinal);
        Assert.Contains("more characters; the whole value is in results.json]", console.ToString(), StringComparison.Ordinal);

        var json = JsonSerializer.Serialize(results, AuditJson.Options);
        Assert.Contains(huge, json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cut_never_splits_a_surrogate_pair()
    {
        var text = new string('a', TextSanitizer.MaxDisplayLength - 1) + "\U0001F600" + "tail";
        var shown = TextSanitizer.Display(text);
        Assert.StartsWith(new string('a', TextSanitizer.MaxDisplayLength - 1) + "\u2026", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", shown[..TextSanitizer.MaxDisplayLength], StringComparison.Ordinal);
    }
}
