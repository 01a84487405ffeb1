using Audit.Core.History;
using Audit.Core.Results;

namespace Audit.Core.Tests;

/// <summary>Drift categories on crafted pairs of results.</summary>
public class DriftCalculatorTests
{
    private static readonly DateTimeOffset Night1 = new(2026, 11, 22, 2, 0, 0, TimeSpan.Zero);

    private static Verdict V(string rule, string entity, Outcome outcome, Severity severity = Severity.High, WaiverRef? waiver = null)
    {
        var scope = entity.Contains('/', StringComparison.Ordinal) ? Scope.Vm : Scope.Host;
        return new Verdict
        {
            RuleId = rule,
            Entity = EntityId.Parse(entity, scope),
            Host = entity.Split('/')[0],
            Scope = scope,
            Severity = severity,
            Outcome = outcome,
            Message = $"{rule} {entity} {outcome}",
            Waiver = waiver,
        };
    }

    private static ResultsDocument Run(int night, params Verdict[] verdicts) => new()
    {
        Run = new RunInfo { StartedAt = Night1.AddDays(night).AddHours(1), Snapshot = new SnapshotRef { CollectedAt = Night1.AddDays(night) } },
        Rules = [.. verdicts.Select(v => v.RuleId).Distinct().Select(id => new RuleInfo { Id = id })],
        Results = verdicts,
        Summary = SummaryCalculator.Compute(verdicts, Severity.High),
    };

    private static readonly WaiverRef Valid = new() { Rule = "R3", Entity = "H/*", Owner = "ops", Justification = "j", Expires = new DateOnly(2027, 1, 1) };
    private static readonly WaiverRef Lapsed = new() { Rule = "R4", Entity = "A", Owner = "ops", Justification = "j", Expires = new DateOnly(2026, 11, 23), Expired = true };

    private static readonly ResultsDocument Baseline = Run(1,
        V("R1", "A", Outcome.Fail),
        V("R1", "B", Outcome.Pass),
        V("R1", "C", Outcome.Fail, Severity.Low),
        V("R2", "X", Outcome.Fail),
        V("R3", "H/V1", Outcome.Fail, Severity.Medium),
        V("R4", "A", Outcome.Waived, waiver: Lapsed with { Expired = false }),
        V("R5", "A", Outcome.Waived),
        V("R6", "A", Outcome.Error),
        V("R7", "A", Outcome.Error));

    private static readonly ResultsDocument Current = Run(2,
        V("R1", "A", Outcome.Fail),
        V("R1", "B", Outcome.Pass),
        V("R1", "C", Outcome.Pass, Severity.Low),
        V("R1", "D", Outcome.Fail, Severity.Low),
        V("R3", "H/V1", Outcome.Waived, Severity.Medium, Valid),
        V("R3", "H/V2", Outcome.Pass, Severity.Medium),
        V("R4", "A", Outcome.Fail, waiver: Lapsed),
        V("R5", "A", Outcome.Fail, Severity.Medium),
        V("R6", "A", Outcome.Fail),
        V("R7", "A", Outcome.Error));

    private static IEnumerable<string> Keys(IEnumerable<DriftItem> items) => items.Select(i => $"{i.RuleId} {i.Entity}");

    [Fact]
    public void Every_category_is_found_and_categories_do_not_overlap()
    {
        var d = DriftCalculator.Compute(Current, [Baseline], "old.json", "abc");
        // New failures are sorted by severity: R6 (high, was error), R5 (medium, was waived, waiver gone), R1 D (low, not checked before).
        Assert.Equal(["R6 A", "R5 A", "R1 D"], Keys(d.NewFailures));
        Assert.Equal([Outcome.Error, Outcome.Waived, (Outcome?)null], d.NewFailures.Select(i => i.PreviousOutcome));
        Assert.Equal(["R4 A"], Keys(d.WaiversExpired));
        Assert.True(d.WaiversExpired[0].Waiver!.Expired);
        Assert.Equal(["R3 H/V1"], Keys(d.NewlyWaived));
        Assert.Equal("ops", d.NewlyWaived[0].Waiver!.Owner);
        Assert.Equal(["R2 X", "R1 C"], Keys(d.Resolved));
        Assert.Equal([null, Outcome.Pass], d.Resolved.Select(i => i.Outcome));
        Assert.Equal(["R1 A"], Keys(d.StillFailing));
        Assert.Equal(2, d.StillFailing[0].ConsecutiveRuns);
        Assert.Equal(["D"], d.HostsAdded);
        Assert.Equal(["X"], d.HostsRemoved);
        Assert.Equal(["H/V2"], d.VmsAdded);
        Assert.Empty(d.VmsRemoved);
        Assert.Equal(["R2"], d.RulesRemoved);
        Assert.Empty(d.RulesAdded);
        Assert.Equal(new DriftCounts { NewFailures = 3, WaiversExpired = 1, NewlyWaived = 1, Resolved = 2, StillFailing = 1, HostsAdded = 1, HostsRemoved = 1, VmsAdded = 1 }, d.Counts);
        Assert.Equal(("old.json", "abc", Night1.AddDays(1), 0), (d.Baseline.Path, d.Baseline.Sha256, d.Baseline.CollectedAt, d.Baseline.HistoryRuns));
        // Unchanged pass (R1 B), unchanged error (R7 A) and a new passing VM appear in no category.
        var all = Keys(d.NewFailures.Concat(d.WaiversExpired).Concat(d.NewlyWaived).Concat(d.Resolved).Concat(d.StillFailing)).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.DoesNotContain("R1 B", all);
        Assert.DoesNotContain("R7 A", all);
    }

    [Fact]
    public void Consecutive_failures_count_back_through_history_until_a_run_where_it_did_not_fail()
    {
        var older = Run(0, V("R1", "A", Outcome.Fail));
        var oldest = Run(-1, V("R1", "A", Outcome.Pass));
        var evenOlder = Run(-2, V("R1", "A", Outcome.Fail));
        var d = DriftCalculator.Compute(Current, [Baseline, older, oldest, evenOlder], null, "");
        Assert.Equal(3, d.StillFailing.Single().ConsecutiveRuns);
        Assert.Equal(3, d.Baseline.HistoryRuns);
    }

    [Fact]
    public void Fail_on_new_gate_counts_only_new_failures_at_or_above_fail_on_then_new_errors()
    {
        var d = DriftCalculator.Compute(Current, [Baseline], null, "");
        Assert.Equal(ExitCodes.Failed, DriftCalculator.GateExitCode(Current.ToDraft(), d, [Baseline]));

        // Only old debt (R1 A still failing, R7 A still erroring): the gate passes.
        var oldDebt = Run(2, V("R1", "A", Outcome.Fail), V("R7", "A", Outcome.Error));
        var d2 = DriftCalculator.Compute(oldDebt, [Baseline], null, "");
        Assert.Equal(ExitCodes.Compliant, DriftCalculator.GateExitCode(oldDebt.ToDraft(), d2, [Baseline]));
        Assert.Equal(ExitCodes.Failed, SummaryCalculator.Compute(oldDebt.Results, Severity.High).ExitCode);

        // A new low failure is below --fail-on high; a new error still makes the audit incomplete.
        var newLowAndError = Run(2, V("R1", "A", Outcome.Fail), V("R1", "B", Outcome.Fail, Severity.Low), V("R1", "C", Outcome.Error, Severity.Low));
        var d3 = DriftCalculator.Compute(newLowAndError, [Baseline], null, "");
        Assert.Equal(ExitCodes.Incomplete, DriftCalculator.GateExitCode(newLowAndError.ToDraft(), d3, [Baseline]));

        // A failure whose waiver expired since the baseline counts as new for the gate.
        var lapsed = Run(2, V("R4", "A", Outcome.Fail, waiver: Lapsed));
        var d4 = DriftCalculator.Compute(lapsed, [Baseline], null, "");
        Assert.Equal(ExitCodes.Failed, DriftCalculator.GateExitCode(lapsed.ToDraft(), d4, [Baseline]));
    }

    [Fact]
    public void Results_round_trip_through_the_loader_with_drift_and_waivers()
    {
        var withDrift = Current with { Drift = DriftCalculator.Compute(Current, [Baseline], "b.json", new string('b', 64)) };
        var bytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(withDrift, AuditJson.Options);
        var loaded = ResultsLoader.Parse(bytes, "r.json");
        Assert.Equal(withDrift.Drift!.Counts, loaded.Value.Drift!.Counts);
        Assert.Equal(Keys(withDrift.Drift.NewFailures), Keys(loaded.Value.Drift.NewFailures));
        Assert.Equal(Lapsed, loaded.Value.Results.Single(v => v.RuleId == "R4").Waiver);

        var e = Assert.Throws<InputException>(() => ResultsLoader.Parse("{\"apiVersion\": \"audit.hyperv/v1\",\n \"kind\": \"Results\", \"bogus\": 1}"u8.ToArray(), "x.json"));
        Assert.Contains(e.Diagnostics, d => d.File == "x.json" && d.Line == 2 && d.Message.Contains("bogus", StringComparison.Ordinal));
        var snapshot = Assert.Throws<InputException>(() => ResultsLoader.Parse("{\"apiVersion\": \"audit.hyperv/v1\", \"kind\": \"Snapshot\"}"u8.ToArray(), "s.json"));
        // Another kind of document is named as such (AUD0005), not reported as a page of schema errors.
        var d = Assert.Single(snapshot.Diagnostics);
        Assert.Equal((DiagnosticCodes.UnsupportedApiVersion, 1, 43), (d.Code, d.Line, d.Column));
        Assert.Contains("kind 'Snapshot'", d.Message, StringComparison.Ordinal);
    }
}
