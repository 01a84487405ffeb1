using System.Text.Json;
using Audit.Core.History;
using Audit.Core.Results;

namespace Audit.Core.Tests;

/// <summary>The trend over crafted stored runs: order, counts by severity, per-rule counts, damaged entries, the window, determinism.</summary>
public class TrendCalculatorTests
{
    private static readonly DateTimeOffset Night1 = new(2026, 11, 20, 2, 0, 0, TimeSpan.Zero);

    private static Verdict V(string rule, string entity, Outcome outcome, Severity severity) =>
        new() { RuleId = rule, Entity = EntityId.Host(entity), Host = entity, Scope = Scope.Host, Severity = severity, Outcome = outcome, Message = "m" };

    private static ResultsDocument Run(int night, string[] rules, params Verdict[] verdicts) => new()
    {
        Run = new RunInfo
        {
            StartedAt = Night1.AddDays(night).AddHours(1),
            FinishedAt = Night1.AddDays(night).AddHours(1).AddMinutes(1),
            Snapshot = new SnapshotRef { CollectedAt = Night1.AddDays(night), Sha256 = new string((char)('a' + night), 64) },
        },
        Rules = [.. rules.Select(id => new RuleInfo { Id = id, Severity = Severity.High })],
        Results = verdicts,
        Summary = SummaryCalculator.Compute(verdicts, Severity.High),
    };

    private static readonly ResultsDocument N0 = Run(0, ["R1", "R2"],
        V("R1", "A", Outcome.Fail, Severity.High), V("R1", "B", Outcome.Fail, Severity.High), V("R2", "A", Outcome.Error, Severity.Low));

    private static readonly ResultsDocument N1 = Run(1, ["R1"],
        V("R1", "A", Outcome.Fail, Severity.High), V("R1", "B", Outcome.Pass, Severity.High));

    private static readonly ResultsDocument N2 = Run(2, ["R1", "R2", "R3"],
        V("R1", "A", Outcome.Pass, Severity.High), V("R2", "A", Outcome.Fail, Severity.Low), V("R3", "A", Outcome.Fail, Severity.Critical),
        V("R3", "B", Outcome.Waived, Severity.Critical), V("R3", "C", Outcome.Error, Severity.Critical));

    private static IReadOnlyList<StoredRun> Stored(params ResultsDocument?[] docs) =>
        [.. docs.Select((d, i) => new StoredRun($"results-{i}.json", d))];

    [Fact]
    public void Stored_runs_come_in_snapshot_time_order_whatever_the_listing_order_and_this_run_is_last()
    {
        var t = TrendCalculator.Compute(N2, Stored(N1, N0));
        Assert.Equal([Night1, Night1.AddDays(1), Night1.AddDays(2)], t.Runs.Select(r => r.CollectedAt));
        Assert.Equal([null, null, true], t.Runs.Select(r => r.Current));
        Assert.Equal(N0.Run.FinishedAt, t.Runs[0].FinishedAt);
        Assert.Equal(N0.Run.Snapshot.Sha256, t.Runs[0].SnapshotSha256);
        Assert.Equal([3, 2, 5], t.Runs.Select(r => r.Checks));
    }

    [Fact]
    public void Failures_and_errors_are_counted_by_severity_from_the_verdicts_and_waived_checks_are_not_failures()
    {
        var t = TrendCalculator.Compute(N2, Stored(N0, N1));
        Assert.Equal(new SeverityCounts { High = 2 }, t.Runs[0].Fail);
        Assert.Equal(new SeverityCounts { Low = 1 }, t.Runs[0].Error);
        Assert.Equal(new SeverityCounts { High = 1 }, t.Runs[1].Fail);
        Assert.Equal(new SeverityCounts(), t.Runs[1].Error);
        Assert.Equal(new SeverityCounts { Critical = 1, Low = 1 }, t.Runs[2].Fail);
        Assert.Equal(new SeverityCounts { Critical = 1 }, t.Runs[2].Error);
        // A stored summary that lies does not change the trend: counts come from the verdicts.
        var lying = N0 with { Summary = N0.Summary with { BySeverity = new Dictionary<Severity, OutcomeCounts>() } };
        Assert.Equal(new SeverityCounts { High = 2 }, TrendCalculator.Compute(N2, Stored(lying)).Runs[0].Fail);
    }

    [Fact]
    public void Each_rule_of_this_run_has_its_failing_and_erroring_entities_per_run_and_null_where_it_was_not_checked()
    {
        var t = TrendCalculator.Compute(N2, Stored(N0, N1));
        Assert.Equal(["R1", "R2", "R3"], t.Rules.Select(r => r.RuleId));
        var r1 = t.Rules[0];
        Assert.Equal([2, 1, 0], r1.Fail);
        Assert.Equal([0, 0, 0], r1.Error);
        // R2 was not in night 1's catalogue: not checked, not "0 failing".
        Assert.Equal([0, null, 1], t.Rules[1].Fail);
        Assert.Equal([1, null, 0], t.Rules[1].Error);
        Assert.Equal([null, null, 1], t.Rules[2].Fail);
        Assert.Equal([null, null, 1], t.Rules[2].Error);
        Assert.Equal(Severity.High, t.Rules[2].Severity);   // the catalogue's severity, not a verdict's
    }

    [Fact]
    public void A_damaged_entry_is_named_and_left_out_never_counted_as_a_run_with_no_failures()
    {
        var t = TrendCalculator.Compute(N2, [new StoredRun("results-20261121T020000Z.json", null), new StoredRun("results-x.json", N0)]);
        Assert.Equal(2, t.Runs.Count);
        Assert.Equal(["results-20261121T020000Z.json"], t.Unreadable);
        Assert.Equal(new SeverityCounts { High = 2 }, t.Runs[0].Fail);
    }

    [Fact]
    public void Only_the_newest_runs_fit_the_window_and_the_rest_are_counted_as_omitted()
    {
        var many = Enumerable.Range(0, 40).Select(n => Run(n, ["R1"], V("R1", "A", n % 2 == 0 ? Outcome.Fail : Outcome.Pass, Severity.High))).ToArray();
        var current = Run(41, ["R1"], V("R1", "A", Outcome.Error, Severity.High));
        var t = TrendCalculator.Compute(current, Stored(many));
        Assert.Equal(TrendCalculator.MaxRuns, t.Runs.Count);
        Assert.Equal(TrendCalculator.MaxRuns, t.MaxRuns);
        Assert.Equal(40 - (TrendCalculator.MaxRuns - 1), t.Omitted);
        Assert.Equal(Night1.AddDays(40 - (TrendCalculator.MaxRuns - 1)), t.Runs[0].CollectedAt);
        Assert.True(t.Runs[^1].Current);
        Assert.All(t.Rules, r => Assert.Equal(TrendCalculator.MaxRuns, r.Fail.Count));

        var small = TrendCalculator.Compute(current, Stored(many), maxRuns: 3);
        Assert.Equal([Night1.AddDays(38), Night1.AddDays(39), Night1.AddDays(41)], small.Runs.Select(r => r.CollectedAt));
        // The only run (no history yet) is a trend of one point.
        Assert.Single(TrendCalculator.Compute(current, []).Runs);
    }

    [Fact]
    public void The_same_runs_give_the_same_bytes_and_the_trend_round_trips_through_the_schema()
    {
        var a = JsonSerializer.Serialize(TrendCalculator.Compute(N2, Stored(N0, N1)), AuditJson.Options);
        var b = JsonSerializer.Serialize(TrendCalculator.Compute(N2, Stored(N1, N0)), AuditJson.Options);
        Assert.Equal(a, b);
        // Re-audits of one snapshot (same time) keep the history's order.
        var again = N1 with { Run = N1.Run with { FinishedAt = N1.Run.FinishedAt }, Results = [V("R1", "A", Outcome.Error, Severity.High)] };
        again = again with { Summary = SummaryCalculator.Compute(again.Results, Severity.High) };
        var t = TrendCalculator.Compute(N2, Stored(N1, again));
        Assert.Equal([1, 0], t.Runs.Take(2).Select(r => r.Fail.High));

        var doc = N2 with { Trend = TrendCalculator.Compute(N2, Stored(N0, N1, null)) };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(doc, AuditJson.Options);
        var loaded = ResultsLoader.Parse(bytes, "results.json").Value;
        Assert.Equal(JsonSerializer.Serialize(doc.Trend, AuditJson.Options), JsonSerializer.Serialize(loaded.Trend, AuditJson.Options));
    }

    [Theory]
    [InlineData("spliced")]
    [InlineData("ragged")]
    [InlineData("unbounded")]
    public void A_trend_that_does_not_match_its_results_is_refused_by_the_loader(string tamper)
    {
        var trend = TrendCalculator.Compute(N2, Stored(N0, N1));
        trend = tamper switch
        {
            // The trend of another run: its last point is not this run's failures.
            "spliced" => TrendCalculator.Compute(N1, Stored(N0)),
            "ragged" => trend with { Rules = [trend.Rules[0] with { Fail = [1] }, .. trend.Rules.Skip(1)] },
            _ => trend with { MaxRuns = 2 },
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(N2 with { Trend = trend }, AuditJson.Options);
        var e = Assert.Throws<InputException>(() => ResultsLoader.Parse(bytes, "results.json"));
        Assert.Contains("trend does not match the results", e.Diagnostics.Single().Message, StringComparison.Ordinal);
    }
}

