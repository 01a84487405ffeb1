using System.Globalization;

namespace Audit.Reports.Tests;

/// <summary>The trend's markup without a browser: deterministic, culture-independent, bounded.</summary>
public sealed class TrendViewTests
{
    [Fact]
    public void The_same_trend_renders_to_the_same_bytes_whatever_the_culture()
    {
        var (tonight, _) = NightlyResults.WithFiveRunTrend("results-20261121T020000Z.json");
        var first = HtmlReportRenderer.Render(tonight);
        var saved = CultureInfo.CurrentCulture;
        try
        {
            // A decimal comma would break SVG coordinates ("12,5" is two numbers). The tests run in globalization-invariant
            // mode (no named cultures): a copy of the invariant culture with German number formats stands in.
            var german = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            german.NumberFormat.NumberDecimalSeparator = ",";
            german.NumberFormat.NumberGroupSeparator = ".";
            CultureInfo.CurrentCulture = german;
            Assert.Equal(first, HtmlReportRenderer.Render(tonight));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
        var chart = first[first.IndexOf("<svg id=\"trend-fail\"", StringComparison.Ordinal)..];
        chart = chart[..chart.IndexOf("</svg>", StringComparison.Ordinal)];
        Assert.Matches("points=\"[0-9., ]+\"", chart);
        Assert.DoesNotMatch("points=\"[^\"]*[0-9],[0-9]+,", chart);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 1)]
    [InlineData(4, 1)]
    [InlineData(5, 2)]
    [InlineData(9, 5)]
    [InlineData(24, 10)]
    [InlineData(41, 20)]
    [InlineData(175000, 50000)]
    public void Tick_steps_are_1_2_or_5_times_a_power_of_ten_and_give_at_most_five_ticks(int max, int step)
    {
        Assert.Equal(step, TrendView.Step(max));
    }
}
