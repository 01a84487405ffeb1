using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Audit.Core;
using Audit.Core.History;
using Audit.Tests.Common;
using Audit.Core.Results;

namespace Audit.Cli.Tests;

public class HistoryAndDriftTests
{
    private static ResultsDocument Read(string path) =>
        JsonSerializer.Deserialize<ResultsDocument>(File.ReadAllBytes(path), AuditJson.Options)!;

    /// <summary>A baseline made from a real run with some verdicts changed, so that drift has something to find.</summary>
    private static string CraftBaseline(TempDir dir, Func<JsonObject, bool> change)
    {
        var outDir = Path.Combine(dir.Path, "base");
        Assert.Equal(ExitCodes.Failed, CliRunner.Run("run", "--out", outDir, "--format", "json").ExitCode);
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")))!.AsObject();
        var results = node["results"]!.AsArray();
        foreach (var v in results.ToList())
        {
            if (change(v!.AsObject()))
            {
                results.Remove(v);
            }
        }
        // A real earlier run would have counted its own verdicts: keep the summary consistent (the loader checks it).
        var doc = node.Deserialize<ResultsDocument>(AuditJson.Options)!;
        doc = doc with { Summary = SummaryCalculator.Compute(doc.Results, doc.Run.FailOn) };
        var path = Path.Combine(dir.Path, "baseline.json");
        File.WriteAllText(path, JsonSerializer.Serialize(doc, AuditJson.Options));
        return path;
    }

    private static bool Is(JsonObject v, string rule, string entity) => (string?)v["ruleId"] == rule && (string?)v["entity"] == entity;

    [Fact]
    public void History_keeps_runs_under_the_snapshot_time_compares_with_the_latest_and_prunes()
    {
        using var dir = new TempDir();
        var history = Path.Combine(dir.Path, "history");
        var first = CliRunner.Run("run", "--out", dir.Path, "--format", "json,console", "--history", history);
        Assert.Equal(ExitCodes.Failed, first.ExitCode);
        Assert.Null(Read(dir.File("results.json")).Drift);
        Assert.Contains("Kept in history as", first.Out, StringComparison.Ordinal);

        var second = CliRunner.Run("run", "--out", dir.Path, "--format", "json,console", "--history", history, "--param", "maxSimultaneousMigrations=8");
        var results = Read(dir.File("results.json"));
        var drift = results.Drift!;
        Assert.EndsWith("history/results-20261124T020000Z.json", drift.Baseline.Path, StringComparison.Ordinal);
        Assert.Equal(["HV-LM-003 WHISKEY"], drift.Resolved.Select(i => $"{i.RuleId} {i.Entity}"));
        Assert.Empty(drift.NewFailures);
        Assert.Equal(42, drift.StillFailing.Count);
        Assert.All(drift.StillFailing, i => Assert.Equal(2, i.ConsecutiveRuns));
        Assert.Contains("SINCE 2026-11-24T02:00:00Z", second.Out, StringComparison.Ordinal);

        CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--history", history, "--history-keep", "2");
        var third = Read(dir.File("results.json")).Drift!;
        Assert.EndsWith("results-20261124T020000Z-2.json", third.Baseline.Path, StringComparison.Ordinal);
        Assert.Equal(1, third.Baseline.HistoryRuns);
        // HV-LM-003 failed in runs 1 and 3 but not 2: it is a new failure again; the rest fail for the 3rd run in a row.
        Assert.Equal(["HV-LM-003 WHISKEY"], third.NewFailures.Select(i => $"{i.RuleId} {i.Entity}"));
        Assert.All(third.StillFailing, i => Assert.Equal(3, i.ConsecutiveRuns));
        Assert.Equal(["results-20261124T020000Z-2.json", "results-20261124T020000Z-3.json"],
            Directory.EnumerateFiles(history, "results-*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // The stored run is the results document itself.
        Assert.Equal(File.ReadAllText(dir.File("results.json")), File.ReadAllText(Path.Combine(history, "results-20261124T020000Z-3.json")));
    }

    [Fact]
    public void Five_runs_with_history_give_a_trend_of_five_runs_in_results_json_and_a_chart_of_five_points_in_the_report()
    {
        using var dir = new TempDir();
        var history = Path.Combine(dir.Path, "history");
        // Runs 2 and 4 allow more simultaneous migrations: HV-LM-003 WHISKEY passes in them.
        for (var i = 0; i < 5; i++)
        {
            if (i == 4)
            {
                // A damaged entry: skipped with a warning, named in the trend, not a run with no failures.
                File.WriteAllText(Path.Combine(history, "results-20261101T000000Z.json"), "{ not json");
            }
            string[] extra = i % 2 == 1 ? ["--param", "maxSimultaneousMigrations=8"] : [];
            var r = CliRunner.Run(["run", "--out", dir.Path, "--format", "json,html", "--history", history, .. extra]);
            Assert.Equal(ExitCodes.Failed, r.ExitCode);
            var trend = Read(dir.File("results.json")).Trend!;
            Assert.Equal(i + 1, trend.Runs.Count);
        }
        var t = Read(dir.File("results.json")).Trend!;
        // Same snapshot each time (same snapshot time, pinned clock): the history's own order decides.
        Assert.Equal([43, 42, 43, 42, 43], t.Runs.Select(x => x.Fail.Critical + x.Fail.High + x.Fail.Medium + x.Fail.Low + x.Fail.Info));
        Assert.Equal([null, null, null, null, true], t.Runs.Select(x => x.Current));
        Assert.Equal(["results-20261101T000000Z.json"], t.Unreadable);
        var lm = t.Rules.Single(x => x.RuleId == "HV-LM-003");
        Assert.Equal([1, 0, 1, 0, 1], lm.Fail);
        Assert.Equal(TrendCalculator.MaxRuns, t.MaxRuns);

        var html = File.ReadAllText(dir.File("report.html"));
        var chart = html[html.IndexOf("<svg id=\"trend-fail\"", StringComparison.Ordinal)..];
        chart = chart[..chart.IndexOf("</svg>", StringComparison.Ordinal)];
        Assert.Equal(5, System.Text.RegularExpressions.Regex.Count(chart, "class=\"x-label\""));
        Assert.Contains("results-20261101T000000Z.json", html, StringComparison.Ordinal);

        // With an explicit baseline (the oldest run), drift compares with it but the trend still shows every kept run.
        var oldest = Directory.EnumerateFiles(history, "results-20261124T020000Z.json").Single();
        CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--history", history, "--baseline", oldest);
        var withBaseline = Read(dir.File("results.json"));
        Assert.EndsWith("results-20261124T020000Z.json", withBaseline.Drift!.Baseline.Path, StringComparison.Ordinal);
        Assert.Equal(6, withBaseline.Trend!.Runs.Count);
    }

    [Fact]
    public void Fail_on_new_ignores_old_debt_but_fails_on_a_new_failure()
    {
        using var dir = new TempDir();
        var same = CraftBaseline(dir, _ => false);
        var oldDebt = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--baseline", same, "--fail-on-new");
        // 43 failures and three errors, all already in the baseline: the gate passes.
        Assert.Equal(ExitCodes.Compliant, oldDebt.ExitCode);
        var r = Read(dir.File("results.json"));
        Assert.True(r.Run.GateOnNewFailures);
        Assert.Equal(0, r.Summary.ExitCode);
        Assert.Equal(43, r.Drift!.Counts.StillFailing);

        var withoutSmb = CraftBaseline(dir, v => Is(v, "SMB-002", "XRAY"));
        var fresh = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--baseline", withoutSmb, "--fail-on-new");
        Assert.Equal(ExitCodes.Failed, fresh.ExitCode);
        Assert.Equal(["SMB-002 XRAY"], Read(dir.File("results.json")).Drift!.NewFailures.Select(i => $"{i.RuleId} {i.Entity}"));

        // Without --fail-on-new the usual gate applies whatever the baseline.
        Assert.Equal(ExitCodes.Failed, CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--baseline", same).ExitCode);
    }

    [Fact]
    public void Diff_prints_new_failures_first_and_exits_0()
    {
        using var dir = new TempDir();
        var baseline = CraftBaseline(dir, v => Is(v, "KB-002", "DC1"));
        CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--waivers", "samples/waivers.json");
        var r = CliRunner.Run("diff", baseline, dir.File("results.json"));
        Assert.Equal(ExitCodes.Compliant, r.ExitCode);
        Assert.Equal("", r.Err);
        var lines = r.Out.Split('\n');
        Assert.StartsWith("SINCE 2026-11-24T02:00:00Z", lines[0], StringComparison.Ordinal);
        Assert.Equal("New failures (1):", lines[1]);
        Assert.StartsWith("  medium   KB-002 DC1: DC1 is a domain controller", lines[2], StringComparison.Ordinal);
        Assert.EndsWith("(not checked before)", lines[2], StringComparison.Ordinal);
        // SMB-002 XRAY failed in the baseline too: its expired waiver makes it still failing, not "failing again".
        Assert.Equal("Newly waived (2):", lines[3]);
        Assert.DoesNotContain("Failing again", r.Out, StringComparison.Ordinal);
        var order = new[] { "New failures", "Newly waived (2):", "Still failing (" }.Select(s => r.Out.IndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.All(order, i => Assert.True(i >= 0));
        Assert.Equal(order.Order(), order);
        Assert.Contains("DISK-001 ZULU/ERP-2003: waived until 2027-03-31 by erp-team@corp.example (CHG-1234)", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Diff_tells_fixed_checks_from_checks_whose_entity_is_gone_and_wraps_long_lists_by_host()
    {
        using var dir = new TempDir();
        Assert.Equal(ExitCodes.Failed, CliRunner.Run("run", "--out", dir.Path, "--format", "json").ExitCode);
        var now = Read(dir.File("results.json"));
        var passing = now.Results.First(v => v.Outcome == Outcome.Pass && v.Scope == Scope.Host);
        var template = now.Results.First(v => v.RuleId == "DISK-001" && v.Outcome == Outcome.Fail);
        // Last night: one check failed that passes now (fixed), and 60 VMs of ZULU failed DISK-001 that are gone now.
        var gone = Enumerable.Range(0, 60).Select(i => template with { Entity = EntityId.Vm("ZULU", $"GONE-{i:D2}"), Message = $"ZULU/GONE-{i:D2} has a dynamic VHD" });
        var before = now.Results.Select(v => v == passing ? v with { Outcome = Outcome.Fail } : v).Concat(gone).ToList();
        var baseline = dir.File("baseline.json");
        File.WriteAllText(baseline, JsonSerializer.Serialize(now with { Results = before, Summary = SummaryCalculator.Compute(before, now.Run.FailOn) }, AuditJson.Options));

        var r = CliRunner.Run("diff", baseline, dir.File("results.json"));
        Assert.Equal(ExitCodes.Compliant, r.ExitCode);
        var lines = r.Out.TrimEnd('\n').Split('\n');
        Assert.Contains("0 new failure(s), 0 failing again (waiver expired), 1 fixed, 60 no longer checked, ", lines[0], StringComparison.Ordinal);
        Assert.Contains("VMs +0 -60", lines[0], StringComparison.Ordinal);
        var fixedAt = Array.FindIndex(lines, l => l.StartsWith("Fixed (", StringComparison.Ordinal));
        Assert.EndsWith("(1):", lines[fixedAt], StringComparison.Ordinal);
        Assert.Equal($"  {passing.Severity.Name(),-8} {passing.RuleId} {passing.Entity}: now pass", lines[fixedAt + 1]);
        Assert.Contains("No longer checked (60): failed in the baseline, not checked now; not known to be fixed:", lines);
        Assert.Contains("  ZULU/GONE-07 (entity gone from this run): DISK-001", lines);
        // 60 VM names on one host: grouped under the host, wrapped, no line longer than the width.
        var vms = Array.IndexOf(lines, "VMs removed (60):");
        Assert.True(vms > 0, r.Out);
        Assert.StartsWith("  ZULU (60): GONE-00, GONE-01, ", lines[vms + 1], StringComparison.Ordinal);
        Assert.StartsWith("    GONE-", lines[vms + 2], StringComparison.Ordinal);
        Assert.All(lines.Where(l => l.StartsWith("  ZULU (", StringComparison.Ordinal) || l.StartsWith("    GONE-", StringComparison.Ordinal)), l => Assert.True(l.Length <= 100, l));
        Assert.Equal(60, lines.Skip(vms + 1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Sum(l => l.Split("GONE-").Length - 1));
    }

    [Fact]
    public void Diff_given_a_snapshot_instead_of_results_says_AUD0005_and_what_the_file_is()
    {
        using var dir = new TempDir();
        CliRunner.Run("run", "--out", dir.Path, "--format", "json");
        var r = CliRunner.Run("diff", "samples/estate.snapshot.json", dir.File("results.json"));
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.StartsWith("samples/estate.snapshot.json(3,11): error AUD0005: not a results file of this version (kind 'Snapshot'", r.Err, StringComparison.Ordinal);
        Assert.Contains("this is a snapshot; audit it with 'audit evaluate --snapshot FILE'", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("AUD0004", r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void Diff_of_an_unreadable_file_exits_65_with_its_position()
    {
        using var dir = new TempDir();
        var bad = dir.File("bad.json");
        File.WriteAllText(bad, "{\n  \"apiVersion\": \"audit.hyperv/v1\",\n  \"kind\": \"Results\",\n  \"results\": 5\n}");
        var r = CliRunner.Run("diff", bad, bad);
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("bad.json(4,", r.Err, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, CliRunner.Run("diff", bad).ExitCode);
    }

    [Fact]
    public void A_run_that_cannot_get_the_history_folder_in_time_fails_clearly_and_writes_nothing()
    {
        using var dir = new TempDir();
        var history = Path.Combine(dir.Path, "history");
        using (HistoryStore.Open(history, TimeSpan.Zero))
        {
            var r = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--history", history, "--history-wait", "0");
            Assert.Equal(ExitCodes.Usage, r.ExitCode);
            Assert.Contains("is in use by another audit run", r.Err, StringComparison.Ordinal);
        }
        Assert.False(File.Exists(dir.File("results.json")));
        Assert.Empty(Directory.EnumerateFiles(history, "results-*"));
    }

    [Fact]
    public async Task Two_processes_starting_at_once_both_land_in_history_one_after_the_other()
    {
        using var dir = new TempDir();
        var history = Path.Combine(dir.Path, "history");
        var dll = Path.Combine(AppContext.BaseDirectory, "audit.dll");
        var procs = new[] { "a", "b" }.Select(name =>
        {
            var psi = new ProcessStartInfo("dotnet", ["exec", dll, "run", "--out", Path.Combine(dir.Path, name), "--format", "json", "--history", history])
            {
                WorkingDirectory = RepoPaths.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            return Process.Start(psi)!;
        }).ToList();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        foreach (var p in procs)
        {
            var err = p.StandardError.ReadToEndAsync(timeout.Token);
            await p.WaitForExitAsync(timeout.Token);
            Assert.Equal("", await err);
            Assert.Equal(ExitCodes.Failed, p.ExitCode);
            p.Dispose();
        }
        Assert.Equal(["results-20261124T020000Z-2.json", "results-20261124T020000Z.json"],
            Directory.EnumerateFiles(history, "results-*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // Serialised by the lock: exactly one run found the other as its baseline.
        var drifts = new[] { "a", "b" }.Select(n => Read(Path.Combine(dir.Path, n, "results.json")).Drift).ToList();
        Assert.Single(drifts, d => d is null);
        Assert.Single(drifts, d => d is not null && d.Counts.StillFailing == 43);
    }
}
