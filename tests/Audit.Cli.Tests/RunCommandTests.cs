using System.Text.Json;
using Audit.Core;
using Audit.Tests.Common;
using Audit.Core.Results;

namespace Audit.Cli.Tests;

public class RunCommandTests
{
    [Fact]
    public void Run_with_no_arguments_audits_the_bundled_sample()
    {
        using var dir = new TempDir();
        // --out is the only thing changed from "no arguments", so tests do not write into the repository.
        var r = CliRunner.Run("run", "--out", dir.Path);
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
        Assert.StartsWith("AUDIT NONCOMPLIANT:", r.Out, StringComparison.Ordinal);
        Assert.Equal("", r.Err);
        var results = JsonSerializer.Deserialize<ResultsDocument>(File.ReadAllBytes(Path.Combine(dir.Path, "results.json")), AuditJson.Options)!;
        Assert.Equal("samples/estate.snapshot.json", results.Run.Snapshot.Path);
        Assert.Equal(Hashing.Sha256(File.ReadAllBytes(RepoPaths.SampleSnapshot)), results.Run.Snapshot.Sha256);
        Assert.NotEmpty(results.Run.RuleSets);
        Assert.All(results.Run.RuleSets, s => Assert.Equal(64, s.Sha256.Length));
        Assert.Equal(results.Results.Count, results.Summary.Total);
        // The classic false alarm does not appear: XP/2003 guests at .16384 on a KB2770917 host pass.
        Assert.Equal(Outcome.Pass, results.Results.Single(v => v.RuleId == "HV-IS-001" && v.Entity.Key == "ZULU/LEGACY-XP").Outcome);
        Assert.Equal(Outcome.Pass, results.Results.Single(v => v.RuleId == "HV-IS-001" && v.Entity.Key == "ZULU/ERP-2003").Outcome);
        Assert.Equal(Outcome.Fail, results.Results.Single(v => v.RuleId == "HV-IS-001" && v.Entity.Key == "ZULU/FILE-2008R2").Outcome);
        // The host whose hotfix collection failed is an error, not a pass.
        Assert.Equal(Outcome.Error, results.Results.Single(v => v.RuleId == "KB-001" && v.Entity.Key == "WHISKEY").Outcome);
    }

    [Fact]
    public void Fail_on_critical_turns_the_remaining_error_into_exit_2()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("run", "--out", dir.Path, "--fail-on", "critical", "--format", "json");
        Assert.Equal(ExitCodes.Incomplete, r.ExitCode);
        Assert.StartsWith("AUDIT INCOMPLETE:", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_needs_a_snapshot()
    {
        var r = CliRunner.Run("evaluate");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--snapshot", r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run", "--bogus")]
    [InlineData("run", "--fail-on", "urgent")]
    [InlineData("run", "--format", "pdf")]
    [InlineData("run", "--format", "html,pdf")]
    [InlineData("run", "--min-severity", "severe")]
    [InlineData("run", "--max-input-mb", "0")]
    [InlineData("report", "--results", "x.json", "--format", "pdf")]
    [InlineData("diff", "a.json", "b.json", "--max-input-mb", "-1")]
    [InlineData("run", "--param", "novalue")]
    [InlineData("run", "--param", " =1")]
    [InlineData("frobnicate")]
    public void Usage_errors_exit_64_with_one_clear_message(params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("error", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
    }

    /// <summary>Shared options are validated while parsing: the message names the option and what it accepts, and no work starts.</summary>
    [Theory]
    [InlineData("--fail-on", "urgent", "--fail-on 'urgent' is not a severity: use critical, high, medium, low or info")]
    [InlineData("--min-severity", "severe", "--min-severity 'severe' is not a severity: use critical, high, medium, low or info")]
    [InlineData("--format", "html,pdf", "--format 'pdf' is not known: use html, junit, json, console")]
    [InlineData("--max-input-mb", "0", "--max-input-mb 0 must be between 1 and 1048576")]
    public void A_bad_value_of_a_shared_option_is_a_parse_error_naming_the_option(string option, string value, string message)
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("run", "--out", dir.Path, option, value);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("audit: error: " + message, r.Err, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Unwritable_output_folder_is_a_usage_error_before_any_work()
    {
        using var dir = new TempDir();
        var blocker = dir.File("file-not-folder");
        File.WriteAllText(blocker, "x");
        var r = CliRunner.Run("run", "--out", Path.Combine(blocker, "out"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("cannot write to output folder", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_snapshot_exits_65_with_position_and_leaves_previous_output_intact()
    {
        using var dir = new TempDir();
        var previous = dir.File("results.json");
        File.WriteAllText(previous, "previous run");
        var snap = dir.File("broken.json");
        File.WriteAllText(snap, "{\n  \"apiVersion\": \"audit.hyperv/v1\",\n  \"hosts\": [ {\"name\": \"A\",, } ]\n}\n");
        var r = CliRunner.RunIn(dir.Path, "evaluate", "--snapshot", "broken.json", "--rules", Path.Combine(RepoPaths.Root, "rules"), "--out", dir.Path);
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Matches(@"broken\.json\(3,\d+\): error AUD0003: invalid JSON", r.Err);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.Equal("previous run", File.ReadAllText(previous));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Missing_snapshot_file_exits_65()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("evaluate", "--snapshot", "does-not-exist.json", "--out", dir.Path);
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("does-not-exist.json: error AUD0001: file not found", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_explains_commands_and_exit_codes()
    {
        var r = CliRunner.Run("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var word in new[] { "run", "evaluate", "validate", "Exit codes", "64", "65" })
        {
            Assert.Contains(word, r.Out, StringComparison.Ordinal);
        }
        var run = CliRunner.Run("run", "--help");
        Assert.Contains("--fail-on", run.Out, StringComparison.Ordinal);
    }
}

public class ValidateCommandTests
{
    [Fact]
    public void Shipped_rules_and_sample_validate_cleanly()
    {
        var r = CliRunner.Run("validate", "--snapshot", "samples/estate.snapshot.json");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("OK:", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_rule_file_exits_65_with_every_diagnostic()
    {
        var r = CliRunner.Run("validate", "--rules", "tests/Audit.Rules.Tests/Fixtures/bad-expressions.ruleset.json");
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("tests/Audit.Rules.Tests/Fixtures/bad-expressions.ruleset.json(", r.Err, StringComparison.Ordinal);
        Assert.Contains("error(s)", r.Err, StringComparison.Ordinal);
    }
}

/// <summary>audit report: re-rendering from results.json.</summary>
public class ReportCommandTests
{
    [Fact]
    public void Report_re_renders_the_same_html_and_junit_from_results_json()
    {
        using var dir = new TempDir();
        var run = CliRunner.Run("run", "--out", Path.Combine(dir.Path, "a"), "--waivers", Path.Combine(RepoPaths.Samples, "waivers.json"));
        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        var report = CliRunner.Run("report", "--results", Path.Combine(dir.Path, "a", "results.json"), "--out", Path.Combine(dir.Path, "b"));
        Assert.Equal(ExitCodes.Compliant, report.ExitCode);
        foreach (var f in new[] { "report.html", "junit.xml", "results.json" })
        {
            Assert.Equal(File.ReadAllText(Path.Combine(dir.Path, "a", f)), File.ReadAllText(Path.Combine(dir.Path, "b", f)));
        }
        // The console summary of the re-render is the run's, too.
        Assert.Equal(run.Out.Split('\n')[0], report.Out.Split('\n')[0]);
    }

    [Fact]
    public void Report_of_an_invalid_results_file_is_exit_65_with_its_position()
    {
        using var dir = new TempDir();
        var bad = Path.Combine(dir.Path, "results.json");
        File.WriteAllText(bad, "{\n  \"apiVersion\": \"audit.hyperv/v1\",\n  \"kind\": \"Snapshot\"\n}");
        var r = CliRunner.Run("report", "--results", bad, "--out", Path.Combine(dir.Path, "o"));
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("results.json(3,", r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "o", "report.html")));
    }

    [Fact]
    public void A_template_that_does_not_parse_stops_the_run_before_anything_is_written()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "bad.sbn"), "<html>\n{{ for x in }}\n</html>");
        var r = CliRunner.Run("run", "--out", Path.Combine(dir.Path, "o"), "--template", Path.Combine(dir.Path, "bad.sbn"));
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("bad.sbn(2,", r.Err, StringComparison.Ordinal);
        Assert.Contains("error AUD0052", r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "o", "results.json")));
    }

    [Fact]
    public void A_template_failing_while_rendering_is_exit_65_and_replaces_no_earlier_output()
    {
        using var dir = new TempDir();
        var outDir = Path.Combine(dir.Path, "o");
        Assert.Equal(ExitCodes.Failed, CliRunner.Run("run", "--out", outDir, "-q").ExitCode);
        var before = File.ReadAllText(Path.Combine(outDir, "results.json"));
        File.WriteAllText(Path.Combine(dir.Path, "strict.sbn"), "<p>{{ verdict }}</p>\n<p>{{ no_such_value }}</p>\n");
        var r = CliRunner.Run("run", "--out", outDir, "--template", Path.Combine(dir.Path, "strict.sbn"), "--fail-on", "critical");
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("strict.sbn(2,", r.Err, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(Path.Combine(outDir, "results.json")));
    }

    [Fact]
    public void A_custom_template_renders_with_values_escaped()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "mine.sbn"), "<h1>{{ verdict_word }}</h1>{{ for g in groups }}<li>{{ g.label }}</li>{{ end }}");
        var r = CliRunner.Run("run", "--out", Path.Combine(dir.Path, "o"), "--format", "html", "--template", Path.Combine(dir.Path, "mine.sbn"), "-q");
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
        var html = File.ReadAllText(Path.Combine(dir.Path, "o", "report.html"));
        Assert.StartsWith("<h1>NONCOMPLIANT</h1><li>DC1</li>", html, StringComparison.Ordinal);
        Assert.Contains("<li>(directory)</li>", html, StringComparison.Ordinal);
    }
}
