using System.Text.Json;
using Audit.Core;
using Audit.Tests.Common;
using Audit.Core.Results;

namespace Audit.Cli.Tests;

public class WaiverCommandTests
{
    private static ResultsDocument Read(string dir) =>
        JsonSerializer.Deserialize<ResultsDocument>(File.ReadAllBytes(Path.Combine(dir, "results.json")), AuditJson.Options)!;

    [Fact]
    public void Sample_waivers_waive_expire_warn_and_are_recorded_in_the_results()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("run", "--out", dir.Path, "--format", "json,console", "--waivers", "samples/waivers.json");
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
        // The run clock (2026-11-24 in tests) decides expiry: one expired, one expiring in 11 days, one stale.
        Assert.Contains("samples/waivers.json(23,5): warning AUD0032: waiver for SMB-002 'XRAY'", r.Err, StringComparison.Ordinal);
        Assert.Contains("samples/waivers.json(14,5): warning AUD0033: waiver for KB-004 '*' (owner hyperv-ops@corp.example) expires on 2026-12-05, in 11 day(s)", r.Err, StringComparison.Ordinal);
        Assert.Contains("samples/waivers.json(31,5): warning AUD0031:", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("error", r.Err, StringComparison.Ordinal);

        var results = Read(dir.Path);
        Assert.Equal("samples/waivers.json", results.Run.Waivers!.Path);
        Assert.Equal(Hashing.Sha256(File.ReadAllBytes(Path.Combine(RepoPaths.Samples, "waivers.json"))), results.Run.Waivers.Sha256);
        var waived = results.Results.Where(v => v.Outcome == Outcome.Waived).Select(v => $"{v.RuleId} {v.Entity}").Order(StringComparer.Ordinal);
        // KB-004 on YANKEE and ZULU is an error (cannot tell under cumulative rollups), which a waiver does not turn into waived.
        Assert.Equal(["DISK-001 ZULU/ERP-2003", "KB-004 XRAY"], waived);
        var smb = results.Results.Single(v => v.RuleId == "SMB-002" && v.Entity.Key == "XRAY");
        Assert.Equal((Outcome.Fail, true, new DateOnly(2026, 10, 31)), (smb.Outcome, smb.Waiver!.Expired, smb.Waiver.Expires));
        Assert.Equal(2, results.Summary.ByOutcome.Waived);
        Assert.Contains("2 waived", r.Out, StringComparison.Ordinal);
        Assert.Equal(new DateOnly(2026, 11, 24), results.Waivers!.Today);
        Assert.Equal(["SMB-002"], results.Waivers.Expired.Select(w => w.Rule));
        Assert.Equal(["KB-004"], results.Waivers.ExpiringSoon.Select(w => w.Rule));
        Assert.Equal(["HV-LM-*"], results.Waivers.Unmatched.Select(w => w.Rule));
    }

    [Fact]
    public void Exit_code_ignores_waived_checks()
    {
        using var dir = new TempDir();
        var waivers = dir.File("all.json");
        File.WriteAllText(waivers, """{"waivers": [{"rule": "*", "entity": "*", "justification": "test", "owner": "me", "expires": "2026-12-31"}]}""");
        var r = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--waivers", waivers);
        // Every failure is waived: only the sample's collection error remains, so the audit is incomplete (2), not failed (1).
        Assert.Equal(ExitCodes.Incomplete, r.ExitCode);
        var results = Read(dir.Path);
        Assert.Equal(0, results.Summary.ByOutcome.Fail);
        Assert.Equal(43, results.Summary.ByOutcome.Waived);
    }

    [Fact]
    public void Bad_waiver_file_exits_65_with_position_and_writes_nothing()
    {
        using var dir = new TempDir();
        var waivers = dir.File("bad.json");
        File.WriteAllText(waivers, """
            {"waivers": [
              {"rule": "HV-IS-001", "entity": "ZULU", "justification": "x", "owner": "me", "expires": "2027-01-01"}
            ]}
            """);
        var r = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--waivers", waivers);
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("bad.json(2,35): error AUD0030: waivers[0].entity: 'ZULU' can never match rule HV-IS-001", r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("results.json")));
    }
}

public class ValidateNightlyFilesTests
{
    [Fact]
    public void Validate_checks_waivers_and_params_files_without_evaluating()
    {
        Assert.Equal(ExitCodes.Compliant, CliRunner.Run("validate", "--waivers", "samples/waivers.json", "--params", "samples/params.json").ExitCode);
        using var dir = new TempDir();
        var bad = dir.File("w.json");
        File.WriteAllText(bad, """{"waivers": [{"rule": "NOPE-001", "entity": "A", "justification": "j", "owner": "o", "expires": "2027-01-01"}]}""");
        var r = CliRunner.Run("validate", "--waivers", bad);
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("w.json(1,23): error AUD0030: waivers[0].rule: no loaded rule has the id 'NOPE-001'", r.Err, StringComparison.Ordinal);
    }
}
