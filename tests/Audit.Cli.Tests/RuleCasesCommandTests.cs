using System.Text.Json;
using Audit.Core;
using Audit.Tests.Common;

namespace Audit.Cli.Tests;

/// <summary>`audit test`: the rule cases beside the rules, run the way rule authors run their own.</summary>
public class RuleCasesCommandTests
{
    private static string CasesFile(TempDir dir, string name, string casesJson, string? baseSnapshot = null) =>
        WriteFile(dir, name, $$"""
            {
              "$schema": "../schema/rulecases.v1.schema.json",
              "kind": "RuleCases",
              "base": {{JsonSerializer.Serialize(baseSnapshot ?? RepoPaths.SampleSnapshot)}},
              "cases": {{casesJson}}
            }
            """);

    /// <summary>file(line,col) of the case object whose line holds <paramref name="text"/>, as diagnostics print it.</summary>
    private static string At(string path, string text)
    {
        var lines = File.ReadAllLines(path);
        var i = Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal));
        Assert.True(i >= 0, text);
        return $"{path}({i + 1},{lines[i].IndexOf('{', StringComparison.Ordinal) + 1})";
    }

    private static string WriteFile(TempDir dir, string name, string text)
    {
        var path = dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void The_shipped_cases_all_hold_and_the_table_has_a_line_per_rule()
    {
        var r = CliRunner.Run("test");
        Assert.True(r.ExitCode == ExitCodes.Compliant, r.Out + r.Err);
        var lines = r.Out.Split('\n');
        Assert.StartsWith("RULE ", lines[0], StringComparison.Ordinal);
        // Every shipped rule has cases, so every rule id of 'audit rules' has a line.
        var ruleIds = CliRunner.Run("rules").Out.Split('\n').Where(l => l.Contains("  ", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToList();
        Assert.NotEmpty(ruleIds);
        foreach (var id in ruleIds)
        {
            Assert.Contains(lines, l => l.StartsWith(id + " ", StringComparison.Ordinal));
        }
        Assert.Matches(@"\n(\d+) cases: \1 passed, 0 failed, 0 invalid\r?\n$", r.Out);
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void A_case_that_does_not_hold_is_shown_with_its_place_and_the_verdict_and_exits_1()
    {
        using var dir = new TempDir();
        var path = CasesFile(dir, "mine.cases.json", """
            [
              { "rule": "KB-001", "name": "XRAY is fine (wrong on purpose)", "entity": "XRAY", "outcome": "pass" },
              { "rule": "KB-001", "name": "ZULU is fine", "entity": "ZULU", "outcome": "pass" }
            ]
            """);
        var r = CliRunner.Run("test", path);
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
        Assert.Matches(@"\nKB-001 +2 +1 +1 +0\r?\n", r.Out);
        Assert.Contains("FAILED " + At(path, "XRAY is fine") + " KB-001: XRAY is fine (wrong on purpose)", r.Out, StringComparison.Ordinal);
        Assert.Contains("  XRAY: expected pass, got fail", r.Out, StringComparison.Ordinal);
        Assert.Contains("  message: XRAY lacks KB2770917", r.Out, StringComparison.Ordinal);
        Assert.Contains("2 cases: 1 passed, 1 failed, 0 invalid", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Cases_that_cannot_run_as_written_are_positioned_AUD0060_errors_and_exit_65()
    {
        using var dir = new TempDir();
        var path = CasesFile(dir, "bad.cases.json", """
            [
              { "rule": "KB-001", "name": "edit misses", "entity": "XRAY", "outcome": "fail", "set": { "hosts[NOSUCH].os.version": "6.3.9600" } },
              { "rule": "NO-SUCH-001", "name": "unknown rule", "entity": "XRAY", "outcome": "fail" },
              { "rule": "KB-001", "name": "edit breaks the schema", "entity": "XRAY", "outcome": "fail", "set": { "hosts[XRAY].os.version": 42 } }
            ]
            """);
        var r = CliRunner.Run("test", path);
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains($"{At(path, "edit misses")}: error AUD0060: [KB-001] case 'edit misses': edit hosts[NOSUCH].os.version: no item 'NOSUCH' in 'hosts'", r.Err, StringComparison.Ordinal);
        Assert.Contains($"{At(path, "unknown rule")}: error AUD0060: [NO-SUCH-001] case 'unknown rule': no rule NO-SUCH-001 in the rule sets given", r.Err, StringComparison.Ordinal);
        Assert.Contains($"{At(path, "edit breaks")}: error AUD0060: [KB-001] case 'edit breaks the schema': the edited snapshot breaks the snapshot schema", r.Err, StringComparison.Ordinal);
        Assert.Contains("3 cases: 0 passed, 0 failed, 3 invalid", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_cases_file_gets_positioned_diagnostics_and_duplicate_names_are_refused()
    {
        using var dir = new TempDir();
        var broken = WriteFile(dir, "broken.cases.json", "{ \"cases\": [ { \"rule\": \"KB-001\", } ] }");
        var r = CliRunner.Run("test", broken);
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains(broken + "(1,", r.Err, StringComparison.Ordinal);
        Assert.Contains("AUD0003", r.Err, StringComparison.Ordinal);

        var dup = CasesFile(dir, "dup.cases.json", """
            [
              { "rule": "KB-001", "name": "same", "entity": "XRAY", "outcome": "fail" },
              { "rule": "KB-001", "name": "same", "entity": "ZULU", "outcome": "pass" }
            ]
            """);
        r = CliRunner.Run("test", dup);
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains($"{At(dup, "ZULU")}: error AUD0060: [KB-001] case 'same' of KB-001 is named twice in this file", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Rule_filter_and_hostile_case_names_on_the_terminal()
    {
        using var dir = new TempDir();
        var path = CasesFile(dir, "hostile.cases.json", """
            [
              { "rule": "KB-001", "name": "\u001b[2J\u001b]0;pwned\u0007 spoof", "entity": "XRAY", "outcome": "pass" },
              { "rule": "KB-002", "name": "other rule", "entity": "DC1", "outcome": "fail" }
            ]
            """);
        var r = CliRunner.Run("test", "--rule", "KB-001", path);
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
        Assert.DoesNotContain("KB-002", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', r.Out);
        Assert.DoesNotContain('\u0007', r.Out);
        Assert.Contains("1 cases: 0 passed, 1 failed, 0 invalid", r.Out, StringComparison.Ordinal);

        r = CliRunner.Run("test", "--rule", "NOPE-001", path);
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("no rule cases for NOPE-001", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Parameters_of_a_case_are_applied_and_unknown_ones_make_it_invalid()
    {
        using var dir = new TempDir();
        var path = CasesFile(dir, "params.cases.json", """
            [
              { "rule": "TRIM-004", "name": "longer period", "entity": "XRAY", "outcome": "pass", "params": { "maxRetrimAgeDays": "30" } },
              { "rule": "TRIM-004", "name": "no such parameter", "entity": "XRAY", "outcome": "pass", "params": { "noSuchParameter": "1" } }
            ]
            """);
        var r = CliRunner.Run("test", path);
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("1 passed, 0 failed, 1 invalid", r.Out, StringComparison.Ordinal);
        Assert.Contains("case 'no such parameter': its params do not compile: no rule set declares a parameter 'noSuchParameter'", r.Err, StringComparison.Ordinal);
    }
}
