using System.Text;
using Audit.Core.Results;
using Audit.Core.Schema;

namespace Audit.Core.Tests;

public class JsonPositionIndexTests
{
    [Fact]
    public void Finds_values_by_path_and_positions_inside_strings()
    {
        var json = "{\n  \"rules\": [\n    { \"id\": \"A\" },\n    { \"id\": \"B\", \"assert\": \"x \\\"y\\\" == z\" }\n  ]\n}";
        var index = JsonPositionIndex.Build(Encoding.UTF8.GetBytes(json));
        Assert.Equal((3, 13), index.Position("rules[0].id"));
        Assert.Equal((4, 13), index.Position("rules[1].id"));
        // Offset 9 of the unescaped value `x "y" == z` is the z; the escapes shift it in the raw text.
        var (line, col) = index.PositionInString("rules[1].assert", 9);
        Assert.Equal(4, line);
        Assert.Equal('z', json.Split('\n')[3][col - 1]);
        // Unknown paths fall back to the nearest parent.
        Assert.Equal(index.Position("rules[1]"), index.Position("rules[1].missing"));
    }
}

public class SummaryCalculatorTests
{
    private static Verdict V(Outcome o, Severity s) => new() { RuleId = "X-001", Outcome = o, Severity = s, Entity = EntityId.Host("E") };

    [Theory]
    [InlineData(Outcome.Fail, Severity.High, Severity.High, 1)]
    [InlineData(Outcome.Fail, Severity.Medium, Severity.High, 0)]
    [InlineData(Outcome.Fail, Severity.Critical, Severity.High, 1)]
    [InlineData(Outcome.Error, Severity.Low, Severity.High, 2)]
    [InlineData(Outcome.Waived, Severity.Critical, Severity.Info, 0)]
    [InlineData(Outcome.NotApplicable, Severity.Critical, Severity.Info, 0)]
    public void Exit_code_follows_fail_on_and_errors(Outcome outcome, Severity severity, Severity failOn, int exit)
    {
        var s = SummaryCalculator.Compute([V(Outcome.Pass, Severity.Info), V(outcome, severity)], failOn);
        Assert.Equal(exit, s.ExitCode);
        Assert.Equal(2, s.Total);
    }

    [Fact]
    public void A_failure_gating_the_run_wins_over_errors()
    {
        var s = SummaryCalculator.Compute([V(Outcome.Error, Severity.Low), V(Outcome.Fail, Severity.High)], Severity.High);
        Assert.Equal(ExitCodes.Failed, s.ExitCode);
        Assert.Equal("noncompliant", s.Verdict);
        Assert.Equal(1, s.BySeverity[Severity.High].Fail);
    }
}
