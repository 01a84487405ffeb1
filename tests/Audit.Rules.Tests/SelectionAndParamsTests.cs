using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Audit.Core;
using Audit.Rules.Compilation;
using Audit.Rules.Selection;
using Audit.Core.Loading;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Rules.Tests;

public class SelectionAndParamsTests
{
    private static RuleInfo Info(string id, params string[] tags) => new() { Id = id, Family = RuleInfo.FamilyOf(id), Tags = tags };

    [Theory]
    [InlineData("HV-IS-001", "HV-IS-001", true)]
    [InlineData("hv-is-001", "HV-IS-001", true)]
    [InlineData("HV-IS", "HV-IS-001", true)]
    [InlineData("HV", "HV-IS-001", true)]
    [InlineData("HV", "HVX-001", false)]
    [InlineData("HV-I", "HV-IS-001", false)]
    [InlineData("HV-*", "HV-LM-003", true)]
    [InlineData("*-003", "HV-LM-003", true)]
    [InlineData("guest", "HV-IS-001", true)]
    [InlineData("gue*", "HV-IS-001", true)]
    [InlineData("security", "HV-IS-001", false)]
    public void Terms_match_ids_prefixes_families_and_tags(string term, string id, bool expected)
    {
        Assert.Equal(expected, RuleSelector.Matches(term, Info(id, "integration-services", "guest")));
    }

    private static readonly string Set = RuleSetText.Set(
        [
            RuleSetText.Rule("T-A-001", "host", "host.Hotfixes.Count() <= params.max", severity: "high"),
            RuleSetText.Rule("T-B-001", "host", "true", severity: "low"),
        ],
        id: "set-one",
        parameters: new JsonObject { ["max"] = new JsonObject { ["type"] = "integer", ["default"] = 1, ["description"] = "d", ["minimum"] = 0 } });

    [Fact]
    public void Excluded_rules_are_neither_evaluated_nor_reported()
    {
        var catalog = RuleSetText.Compile(Set);
        var sel = RuleSelector.Apply(catalog, new SelectionOptions { MinSeverity = Severity.Medium });
        Assert.Empty(sel.Errors);
        var results = RuleSetText.Evaluate(sel.Catalog, Facts.Snapshot(Facts.Host("A")));
        Assert.Equal(["T-A-001"], results.Rules.Select(r => r.Id));
        Assert.Equal(["T-A-001"], results.Results.Select(r => r.RuleId).Distinct());
        Assert.Equal(["T-B-001"], sel.Info!.Excluded);
        Assert.Null(RuleSelector.Apply(catalog, new SelectionOptions()).Info);
    }

    private static LoadedJson<Dictionary<string, JsonElement>> ParamsFile(string json) =>
        JsonFileLoader.Parse<Dictionary<string, JsonElement>>(Encoding.UTF8.GetBytes(json), "params.v1.schema.json", "p.json");

    [Theory]
    [InlineData("{}", null, 1, "default")]
    [InlineData("""{"max": 2}""", null, 2, "file")]
    [InlineData("""{"max": 2, "set-one.max": 3}""", null, 3, "file")]
    [InlineData("""{"set-one.max": 3, "max": 2}""", null, 3, "file")]
    [InlineData("""{"set-one.max": 3}""", "4", 4, "commandLine")]
    public void Parameter_precedence_is_default_then_file_then_command_line_qualified_names_winning(string file, string? cli, int expected, string source)
    {
        var options = new RuleLoadOptions
        {
            ParameterFile = ParamsFile(file),
            ParameterOverrides = cli is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["max"] = cli },
        };
        var catalog = RuleSetText.Compile(Set, options);
        var set = Assert.Single(catalog.RuleSets);
        Assert.Equal(expected, set.EffectiveParameters["max"].GetInt32());
        Assert.Equal(source, set.ParameterSources["max"]);
        var results = RuleSetText.Evaluate(catalog, Facts.Snapshot(Facts.Host("A", hotfixes: [new HotfixFacts { Id = "KB1" }, new HotfixFacts { Id = "KB2" }])));
        Assert.Equal(expected >= 2 ? Outcome.Pass : Outcome.Fail, results.Results.Single(r => r.RuleId == "T-A-001").Outcome);
    }

    [Fact]
    public void Params_file_keys_that_are_not_names_are_schema_errors()
    {
        var e = Assert.Throws<InputException>(() => ParamsFile("{\"max value\": 1}"));
        Assert.Contains(e.Diagnostics, d => d.Code == DiagnosticCodes.SchemaViolation);
    }
}
