using System.Text;
using System.Text.Json;
using Audit.Tests.Common;
using Audit.Core.Results;

namespace Audit.Core.Tests;

public class ResultsSchemaTests
{
    private static string SchemaText => File.ReadAllText(Path.Combine(RepoPaths.Schema, "results.v1.schema.json"));

    [Fact]
    public void Results_schema_and_model_are_in_step()
    {
        var problems = SchemaModelSync.Differences(typeof(ResultsDocument), SchemaText);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static ResultsDocument Sample() => new()
    {
        Run = new RunInfo
        {
            ToolVersion = "1.2.3",
            StartedAt = new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero),
            FinishedAt = new DateTimeOffset(2026, 11, 24, 2, 0, 1, TimeSpan.Zero),
            Snapshot = new SnapshotRef { Sha256 = new string('a', 64), CollectedAt = new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero), Hosts = 1 },
            RuleSets = [new RuleSetRef { Id = "x", Version = "1.0.0", Sha256 = new string('b', 64) }],
        },
        Rules = [new RuleInfo { Id = "HV-IS-001", Title = "t", Family = "HV-IS", Severity = Severity.Medium, Scope = Scope.Vm, RuleSet = "x" }],
        Results =
        [
            new Verdict
            {
                RuleId = "HV-IS-001", Severity = Severity.Medium, Scope = Scope.Vm, Entity = EntityId.Vm("ZULU", "<img src=x>"), Host = "ZULU", Outcome = Outcome.Waived, Message = "m",
                Waiver = new WaiverRef { Rule = "HV-IS-001", Entity = "ZULU/*", Justification = "j", Owner = "o", Expires = new DateOnly(2027, 1, 31) },
            },
        ],
        Summary = SummaryCalculator.Compute([new Verdict { Outcome = Outcome.Waived, Severity = Severity.Medium }], Severity.High),
    };

    [Fact]
    public void Results_round_trip_through_the_loader()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(Sample(), AuditJson.Options);
        var loaded = ResultsLoader.Parse(json, "results.json");
        Assert.Equal(Encoding.UTF8.GetString(json), JsonSerializer.Serialize(loaded.Value, AuditJson.Options));
        Assert.Equal(new DateOnly(2027, 1, 31), loaded.Value.Results[0].Waiver!.Expires);
    }

    [Fact]
    public void A_bad_outcome_is_reported_with_its_position()
    {
        var text = JsonSerializer.Serialize(Sample(), AuditJson.Options).Replace("\"outcome\": \"waived\"", "\"outcome\": \"maybe\"", StringComparison.Ordinal);
        var e = Assert.Throws<InputException>(() => ResultsLoader.Parse(Encoding.UTF8.GetBytes(text), "old/results.json"));
        var d = Assert.Single(e.Diagnostics);
        Assert.Equal("old/results.json", d.File);
        Assert.True(d.Line > 1 && d.Column > 0, d.ToString());
        Assert.Contains("outcome", d.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_summary_that_disagrees_with_the_results_is_refused()
    {
        var tampered = Sample() with { Summary = SummaryCalculator.Compute([], Severity.High) };
        var e = Assert.Throws<InputException>(() => ResultsLoader.Parse(JsonSerializer.SerializeToUtf8Bytes(tampered, AuditJson.Options), "r.json"));
        Assert.Contains(e.Diagnostics, d => d.Message.StartsWith("summary does not match the results", StringComparison.Ordinal) && d.Line > 1);
    }

    [Fact]
    public void A_rule_listed_twice_is_refused_with_its_position()
    {
        var doubled = Sample() with { Rules = [.. Sample().Rules, .. Sample().Rules] };
        var e = Assert.Throws<InputException>(() => ResultsLoader.Parse(JsonSerializer.SerializeToUtf8Bytes(doubled, AuditJson.Options), "r.json"));
        Assert.Contains(e.Diagnostics, d => d.Message == "rule 'HV-IS-001' is listed twice" && d.Line > 1);
    }
}
