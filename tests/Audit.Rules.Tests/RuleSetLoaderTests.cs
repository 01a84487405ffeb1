using Audit.Core;
using Audit.Tests.Common;
using Audit.Rules.Compilation;
using Audit.Core.Results;

namespace Audit.Rules.Tests;

public class RuleSetLoaderTests
{
    [Fact]
    public void Shipped_rules_validate_cleanly()
    {
        var result = RuleSetLoader.Load([RepoPaths.Rules]);
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Empty(result.Diagnostics);
        Assert.NotEmpty(result.Catalog!.Rules);
        // At least one rule per scope is shipped, so the whole pipeline is exercised.
        foreach (var scope in Enum.GetValues<Scope>())
        {
            Assert.Contains(result.Catalog.Rules, r => r.Scope == scope);
        }
    }

    [Fact]
    public void Schema_errors_are_reported_with_positions()
    {
        var path = Path.Combine(RepoPaths.Fixtures("Audit.Rules.Tests"), "bad-expressions.ruleset.json");
        var result = RuleSetLoader.Load([path]);
        Assert.False(result.Succeeded);
        // The schema stage stops this file (missing remediation, bad severity): nothing later runs on a file that is not well-formed.
        Assert.All(result.Diagnostics, d => Assert.Equal(DiagnosticCodes.SchemaViolation, d.Code));
        Assert.Contains(result.Diagnostics, d => d.Message.Contains("'remediation'", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_rule_mistake_is_reported_with_file_position_and_rule_id()
    {
        // The same fixture without the schema-breaking rule: every remaining mistake is collected, none stops the others.
        var path = Path.Combine(RepoPaths.Fixtures("Audit.Rules.Tests"), "bad-expressions.ruleset.json");
        var text = File.ReadAllText(path);
        var cut = text.IndexOf(",\n    {\n      \"id\": \"BAD-SCHEMA-001\"", StringComparison.Ordinal);
        text = text[..cut] + "\n  ]\n}\n";
        using var dir = new TempDir();
        var file = dir.File("bad-expressions.ruleset.json");
        File.WriteAllText(file, text);
        var cwd = Directory.GetCurrentDirectory();
        var result = RuleSetLoader.Load([file]);
        Assert.False(result.Succeeded);
        var lines = string.Join("\n", result.Diagnostics.Select(d => d.ToString().Replace(d.File!, "bad-expressions.ruleset.json", StringComparison.Ordinal))) + "\n";
        Approvals.Verify("Audit.Rules.Tests", "bad-expressions.diagnostics.txt", lines);
        Assert.Equal(cwd, Directory.GetCurrentDirectory());
    }

    [Fact]
    public void Syntax_error_column_points_into_the_expression()
    {
        var text = RuleSetText.Set([RuleSetText.Rule("T-SYN-001", "host", "host.Name == ")]);
        var d = Assert.Single(RuleSetText.Load(text).Diagnostics);
        Assert.Equal(DiagnosticCodes.ExpressionSyntax, d.Code);
        Assert.Equal("T-SYN-001", d.RuleId);
        var line = text.Split('\n')[d.Line - 1];
        var valueStart = line.IndexOf("host.Name", StringComparison.Ordinal);
        Assert.True(d.Column > valueStart, $"column {d.Column} should point inside the expression starting at {valueStart + 1}: {line}");
    }

    [Fact]
    public void Parameter_overrides_apply_and_unknown_ones_are_errors()
    {
        var parameters = new System.Text.Json.Nodes.JsonObject
        {
            ["limit"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "integer", ["default"] = 2, ["description"] = "d", ["minimum"] = 1, ["maximum"] = 16 },
        };
        var text = RuleSetText.Set([RuleSetText.Rule("T-PAR-001", "host", "params.limit > 3")], parameters: parameters);
        var snapshot = Facts.Snapshot(Facts.Host("A"));
        Assert.Equal(Outcome.Fail, RuleSetText.Evaluate(RuleSetText.Compile(text), snapshot).Results[0].Outcome);
        var overridden = RuleSetText.Compile(text, new RuleLoadOptions { ParameterOverrides = new Dictionary<string, string> { ["limit"] = "8" } });
        var results = RuleSetText.Evaluate(overridden, snapshot);
        Assert.Equal(Outcome.Pass, results.Results[0].Outcome);
        Assert.Equal("8", results.Parameters["test-set.limit"].GetRawText());

        var outOfRange = RuleSetText.Load(text, new RuleLoadOptions { ParameterOverrides = new Dictionary<string, string> { ["test-set.limit"] = "99" } });
        Assert.Contains(outOfRange.Diagnostics, d => d.Code == DiagnosticCodes.InvalidParameter && d.Message.Contains("above the maximum", StringComparison.Ordinal));
        var unknown = RuleSetText.Load(text, new RuleLoadOptions { ParameterOverrides = new Dictionary<string, string> { ["nope"] = "1" } });
        Assert.Contains(unknown.Diagnostics, d => d.Code == DiagnosticCodes.InvalidParameter && d.Message.Contains("'nope'", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_rule_path_is_reported()
    {
        var result = RuleSetLoader.Load(["/nonexistent/rules"]);
        Assert.False(result.Succeeded);
        Assert.Contains(result.Diagnostics, d => d.Code == DiagnosticCodes.FileNotFound);
    }
}
