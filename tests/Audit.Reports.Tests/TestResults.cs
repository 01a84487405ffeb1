using Audit.Core.History;
using Audit.Tests.Common;
using Audit.Rules.Compilation;
using Audit.Rules.Evaluation;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Reports.Tests;

/// <summary>Results to render: the bundled sample evaluated with the shipped rules at a fixed clock, and crafted hostile ones.</summary>
internal static class TestResults
{
    public static readonly DateTimeOffset Clock = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<ResultsDocument> SampleLazy = new(() =>
    {
        var rules = RuleSetLoader.Load([RepoPaths.Rules]);
        Assert.True(rules.Succeeded, string.Join("\n", rules.Diagnostics));
        var snapshot = SnapshotLoader.Load(RepoPaths.SampleSnapshot, displayPath: "samples/estate.snapshot.json");
        var r = Evaluator.Evaluate(rules.Catalog!, snapshot, new EvaluationOptions { ToolVersion = "0.0.0-test", SnapshotPath = "samples/estate.snapshot.json", Clock = () => Clock });
        // Timings vary run to run; no renderer shows them, and golden files must not depend on them.
        return r with { Run = r.Run with { RuleTimingsMs = new Dictionary<string, double>() } };
    });

    public static ResultsDocument Sample => SampleLazy.Value;

    /// <summary>Names tenants could give their VMs, shares and tasks.</summary>
    public static readonly string[] HostileNames =
    [
        "<img src=x onerror=\"window.__pwned=1\">",
        "</script><script>window.__pwned=2</script>",
        "\"'><svg onload=window.__pwned=3>",
        "line1\nline2\r\n\ttabbed",
        "esc\u001b[31mRED\u001b[0m\u0007bell",
        "rtl\u202Egnp.exe",
        "nul\u0000byte and \uFFFF and lone \uD800 surrogate",
        "&amp; &lt;b&gt; {{ 1 + 1 }} ${x} %s",
        new string('W', 5000),
    ];

    public static ResultsDocument Hostile()
    {
        var sample = Sample;
        var extra = new List<Verdict>();
        var i = 0;
        foreach (var name in HostileNames)
        {
            foreach (var outcome in new[] { Outcome.Fail, Outcome.Error, Outcome.NotApplicable, Outcome.Waived, Outcome.Pass })
            {
                extra.Add(new Verdict
                {
                    RuleId = "HV-IS-001",
                    Severity = Severity.Medium,
                    Scope = Scope.Vm,
                    Entity = EntityId.Vm("ZULU", $"{name}#{i++}"),
                    Host = "ZULU",
                    Outcome = outcome,
                    Message = $"ZULU/{name} message",
                    Expected = name,
                    Actual = name,
                    Waiver = outcome == Outcome.Waived ? new WaiverRef { Rule = "HV-IS-001", Entity = "ZULU/*", Justification = name, Owner = name, Ticket = name, Expires = new DateOnly(2027, 1, 31) } : null,
                });
            }
        }
        // A host whose name itself is hostile gets its own group (suite, matrix row).
        extra.Add(new Verdict { RuleId = "KB-001", Severity = Severity.High, Scope = Scope.Host, Entity = EntityId.Host(HostileNames[0]), Host = HostileNames[0], Outcome = Outcome.Fail, Message = HostileNames[1] });
        // A rule id from a tampered results file carrying a terminal escape.
        extra.Add(new Verdict { RuleId = "KB-\u001b[2J-001", Severity = Severity.High, Scope = Scope.Host, Entity = EntityId.Host("ZULU"), Host = "ZULU", Outcome = Outcome.Fail, Message = "m" });
        var all = sample.Results.Concat(extra).ToList();
        return sample with { Results = all, Summary = SummaryCalculator.Compute(all, sample.Run.FailOn) };
    }
}

internal static class Tools
{
    public sealed record Result(int ExitCode, string Out, string Err);

    public static Result Run(string file, params string[] args)
    {
        Assert.True(File.Exists(file), $"{file} is missing: run ./test.sh, which installs the test dependencies (libxml2-utils, python3-junitparser, chromium, chromium-driver).");
        var psi = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), $"{file} did not finish in 2 minutes");
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}

internal static class NightlyResults
{
    /// <summary>The sample as tonight's run against a crafted "last night": one check newly failing, one resolved, one waived, waiver report filled.</summary>
    public static ResultsDocument WithDriftAndWaivers()
    {
        var tonight = TestResults.Sample;
        var newFail = tonight.Results.First(v => v.Outcome == Outcome.Fail && v.RuleId == "HV-IS-001");
        var toWaive = tonight.Results.First(v => v.Outcome == Outcome.Fail && v.RuleId == "DISK-001");
        var lastNight = tonight with
        {
            Results = tonight.Results.Select(v => v == newFail ? v with { Outcome = Outcome.Pass } : v).ToList(),
            Run = tonight.Run with { Snapshot = tonight.Run.Snapshot with { CollectedAt = tonight.Run.Snapshot.CollectedAt.AddDays(-1) } },
        };
        var waiver = new WaiverRef { Rule = "DISK-001", Entity = "ZULU/*", Justification = "ERP vendor supports VHD only <until> v9", Owner = "erp-team", Ticket = "CHG-1234", Expires = new DateOnly(2027, 1, 31) };
        var results = tonight.Results.Select(v => v == toWaive ? v with { Outcome = Outcome.Waived, Waiver = waiver } : v).ToList();
        var current = tonight with { Results = results, Summary = SummaryCalculator.Compute(results, tonight.Run.FailOn) };
        var status = new WaiverStatus { Rule = "KB-004", Entity = "OLDHOST", Owner = "ops", Justification = "<b>decommissioned</b>", Expires = new DateOnly(2026, 12, 1), DaysLeft = 7, Matched = 0, Reason = "matches no failing check" };
        return current with
        {
            Drift = DriftCalculator.Compute(current, [lastNight], "history/results-20261123T020000Z.json", new string('c', 64)),
            Waivers = new WaiverReport { Today = new DateOnly(2026, 11, 24), WarnDays = 14, Waived = 1, Unmatched = [status], ExpiringSoon = [status] },
        };
    }

    /// <summary>
    /// Four earlier nights and tonight's sample, as --history would keep them: each earlier night has more high failures
    /// (passing high checks turned failing), night 2 an erroring medium check, and night 3 did not check <see cref="Unchecked"/>.
    /// Returns tonight's results with the trend, and the five documents (oldest first) to count from independently.
    /// </summary>
    public static (ResultsDocument Tonight, IReadOnlyList<ResultsDocument> Nights) WithFiveRunTrend(params string[] unreadable)
    {
        var tonight = TestResults.Sample;
        var nights = new List<ResultsDocument>();
        var passingHigh = tonight.Results.Where(v => v.Outcome == Outcome.Pass && v.Severity == Severity.High).ToList();
        var passingMedium = tonight.Results.First(v => v.Outcome == Outcome.Pass && v.Severity == Severity.Medium);
        for (var k = 0; k < 4; k++)
        {
            var extra = passingHigh.Take((4 - k) * 2).ToHashSet();
            var results = tonight.Results
                .Select(v => extra.Contains(v) ? v with { Outcome = Outcome.Fail } : k == 1 && v == passingMedium ? v with { Outcome = Outcome.Error } : v)
                .Where(v => k != 2 || v.RuleId != Unchecked)
                .ToList();
            var collected = tonight.Run.Snapshot.CollectedAt.AddDays(k - 4);
            nights.Add(tonight with
            {
                Rules = k == 2 ? [.. tonight.Rules.Where(r => r.Id != Unchecked)] : tonight.Rules,
                Results = results,
                Summary = SummaryCalculator.Compute(results, tonight.Run.FailOn),
                Run = tonight.Run with { Snapshot = tonight.Run.Snapshot with { CollectedAt = collected }, StartedAt = collected.AddHours(1), FinishedAt = collected.AddHours(1).AddSeconds(30) },
            });
        }
        var stored = nights.Select((d, i) => new StoredRun($"results-{i}.json", d)).Concat(unreadable.Select(u => new StoredRun(u, null))).ToList();
        nights.Add(tonight);
        return (tonight with { Trend = TrendCalculator.Compute(tonight, stored) }, nights);
    }

    /// <summary>A rule with failures in the sample that the third night did not check.</summary>
    public const string Unchecked = "DISK-001";
}
