using System.Text.Json;
using Audit.Core;
using Audit.Tests.Common;
using Audit.Core.Results;

namespace Audit.Cli.Tests;

public class ParamsAndSelectionTests
{
    private static ResultsDocument Read(string dir) =>
        JsonSerializer.Deserialize<ResultsDocument>(File.ReadAllBytes(Path.Combine(dir, "results.json")), AuditJson.Options)!;

    private static Outcome OutcomeOf(ResultsDocument r, string rule, string entity) => r.Results.Single(v => v.RuleId == rule && v.Entity.Key == entity).Outcome;

    [Fact]
    public void Defaults_apply_without_overrides_and_are_recorded_as_defaults()
    {
        using var dir = new TempDir();
        CliRunner.Run("run", "--out", dir.Path, "--format", "json");
        var r = Read(dir.Path);
        Assert.Equal(4, r.Parameters["hyperv-live-migration.maxSimultaneousMigrations"].GetInt32());
        Assert.Equal("default", r.ParameterSources!["hyperv-live-migration.maxSimultaneousMigrations"]);
        // WHISKEY allows 8 simultaneous migrations: outside 1..4.
        Assert.Equal(Outcome.Fail, OutcomeOf(r, "HV-LM-003", "WHISKEY"));
        Assert.Null(r.Run.ParametersFile);
        Assert.Null(r.Run.Selection);
        Assert.Null(r.Run.GateOnNewFailures);
        Assert.Null(r.Drift);
        Assert.Null(r.Waivers);
    }

    [Fact]
    public void Params_file_overrides_defaults_and_the_command_line_overrides_the_file()
    {
        using var dir = new TempDir();
        var file = dir.File("params.json");
        File.WriteAllText(file, """
            {
              "maxSimultaneousMigrations": 8,
              "trim-unmap.maxRetrimAgeDays": 30
            }
            """);
        var fromFile = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--params", file);
        Assert.Equal("", fromFile.Err);
        var r = Read(dir.Path);
        Assert.Equal(8, r.Parameters["hyperv-live-migration.maxSimultaneousMigrations"].GetInt32());
        Assert.Equal("file", r.ParameterSources!["hyperv-live-migration.maxSimultaneousMigrations"]);
        Assert.Equal(30, r.Parameters["trim-unmap.maxRetrimAgeDays"].GetInt32());
        Assert.Equal(Outcome.Pass, OutcomeOf(r, "HV-LM-003", "WHISKEY"));
        // XRAY retrimmed 21 days before the snapshot (fine within 30), YANKEE 175 days (still a failure).
        Assert.Equal(Outcome.Pass, OutcomeOf(r, "TRIM-004", "XRAY"));
        Assert.Equal(Outcome.Fail, OutcomeOf(r, "TRIM-004", "YANKEE"));
        Assert.Equal(Hashing.Sha256(File.ReadAllBytes(file)), r.Run.ParametersFile!.Sha256);

        CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--params", file, "--param", "maxSimultaneousMigrations=6");
        r = Read(dir.Path);
        Assert.Equal(6, r.Parameters["hyperv-live-migration.maxSimultaneousMigrations"].GetInt32());
        Assert.Equal("commandLine", r.ParameterSources!["hyperv-live-migration.maxSimultaneousMigrations"]);
        Assert.Equal("file", r.ParameterSources["trim-unmap.maxRetrimAgeDays"]);
        Assert.Equal(Outcome.Fail, OutcomeOf(r, "HV-LM-003", "WHISKEY"));
    }

    [Theory]
    [InlineData("\"thirty\"", "(2,34): error AUD0016: trim-unmap.maxRetrimAgeDays: value \"thirty\" is not a valid integer")]
    [InlineData("0", "(2,34): error AUD0016: trim-unmap.maxRetrimAgeDays: value 0 is below the minimum 1")]
    public void Params_file_values_are_checked_against_the_declared_type_with_positions(string value, string expected)
    {
        using var dir = new TempDir();
        var file = dir.File("params.json");
        File.WriteAllText(file, "{\n  \"trim-unmap.maxRetrimAgeDays\": " + value + "\n}\n");
        var r = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--params", file);
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("params.json" + expected, r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("results.json")));
    }

    [Fact]
    public void Params_file_with_an_unknown_name_is_rejected_at_its_position()
    {
        using var dir = new TempDir();
        var file = dir.File("params.json");
        File.WriteAllText(file, "{\n  \"maxSimultaneousMigrations\": 4,\n  \"maxSimultanousMigrations\": 8\n}\n");
        var r = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--params", file);
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("params.json(3,31): error AUD0016: no rule set declares a parameter 'maxSimultanousMigrations'", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Include_by_family_evaluates_and_reports_only_those_rules()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--include", "HV-LM");
        // The live-migration failures are medium and low: below the default --fail-on high.
        Assert.Equal(ExitCodes.Compliant, r.ExitCode);
        var results = Read(dir.Path);
        Assert.Equal(["HV-LM-001", "HV-LM-002", "HV-LM-003", "HV-LM-004", "HV-LM-005"], results.Rules.Select(x => x.Id).Order(StringComparer.Ordinal));
        Assert.All(results.Results, v => Assert.StartsWith("HV-LM-", v.RuleId, StringComparison.Ordinal));
        Assert.Equal(results.Results.Count, results.Summary.Total);
        var sel = results.Run.Selection!;
        Assert.Equal(["HV-LM"], sel.Include);
        Assert.Equal((35, 5), (sel.Available, sel.Selected));
        Assert.Equal(30, sel.Excluded.Count);
    }

    [Fact]
    public void Exclude_by_prefix_and_tag_with_a_minimum_severity()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--exclude", "KB,security", "--exclude", "TRIM-00*", "--min-severity", "medium");
        // What remains fails only at medium, below the default gate (high).
        Assert.Equal(ExitCodes.Compliant, r.ExitCode);
        var ids = Read(dir.Path).Rules.Select(x => x.Id).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["AD-DELEG-001", "AD-DELEG-003", "AD-DELEG-004", "CLU-001", "DISK-001", "DISK-003", "HV-IS-001", "HV-LM-001", "HV-LM-002", "HV-LM-004", "HV-LM-005", "LIFE-002", "LIFE-004", "SMB-001"], ids);
        var sel = Read(dir.Path).Run.Selection!;
        Assert.Equal(Severity.Medium, sel.MinSeverity);
        Assert.Equal(["KB", "security", "TRIM-00*"], sel.Exclude);
    }

    [Fact]
    public void Include_by_tag_with_a_wildcard()
    {
        using var dir = new TempDir();
        CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--include", "domain-*");
        Assert.Equal(["KB-002", "KB-005"], Read(dir.Path).Rules.Select(x => x.Id));
    }

    [Theory]
    [InlineData("--include", "HV-XX", "--include 'HV-XX' matches no rule id, family or tag")]
    [InlineData("--exclude", "H", "--exclude 'H' matches no rule id, family or tag")]
    [InlineData("--include", "SMB-003,KB-004", "the selection leaves no rule to evaluate")]
    public void Selection_terms_that_match_nothing_are_usage_errors(string option, string value, string message)
    {
        using var dir = new TempDir();
        var args = new List<string> { "run", "--out", dir.Path, "--format", "json", option, value };
        if (value.Contains(',', StringComparison.Ordinal))
        {
            args.AddRange(["--min-severity", "medium"]);
        }
        var r = CliRunner.Run([.. args]);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("AUD0034: " + message, r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("results.json")));
    }

    [Fact]
    public void Waivers_of_rules_not_selected_are_listed_as_not_evaluated_not_as_stale()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--waivers", "samples/waivers.json", "--include", "DISK");
        var w = Read(dir.Path).Waivers!;
        Assert.Equal(["HV-LM-*", "KB-004", "SMB-002"], w.NotEvaluated.Select(x => x.Rule).Order(StringComparer.Ordinal));
        Assert.Empty(w.Unmatched);
        Assert.Empty(w.Expired);
        Assert.Equal(1, w.Waived);
        Assert.DoesNotContain("AUD0031", r.Err, StringComparison.Ordinal);
    }
}

public class SampleParamsTests
{
    [Fact]
    public void Sample_params_file_shown_in_the_readme_is_valid_and_recorded()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--params", "samples/params.json");
        Assert.Equal("", r.Err);
        var results = JsonSerializer.Deserialize<ResultsDocument>(File.ReadAllBytes(Path.Combine(dir.Path, "results.json")), AuditJson.Options)!;
        Assert.Equal("samples/params.json", results.Run.ParametersFile!.Path);
        // migrationGroups is one parameter of two rule sets (delegation pairs, host live-migration settings): set once, recorded for both.
        Assert.Equal(["ad-delegation.migrationGroups", "hyperv-live-migration.maxSimultaneousMigrations", "hyperv-live-migration.migrationGroups", "trim-unmap.maxRetrimAgeDays"],
            results.ParameterSources!.Where(kv => kv.Value == "file").Select(kv => kv.Key));
        Assert.Contains("samples/params.json", File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md")), StringComparison.Ordinal);
    }
}
