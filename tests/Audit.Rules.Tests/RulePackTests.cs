using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Audit.Core;
using Audit.Tests.Common;

namespace Audit.Rules.Tests;

/// <summary>
/// The shipped rule pack, rule by rule: each case is a scenario over the bundled sample estate (optionally patched),
/// validated against the snapshot schema, evaluated with the real rules, and checked for the outcome of one entity.
/// </summary>
public class RulePackTests
{
    public sealed record Scenario(string Rule, string Name, string Entity, string Outcome, Dictionary<string, JsonNode?>? Set, Dictionary<string, JsonNode>? Append, string? MessageContains)
    {
        public override string ToString() => $"{Rule}: {Name}";
    }

    private static readonly JsonSerializerOptions CaseJson = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static readonly Lazy<IReadOnlyList<Scenario>> AllCases = new(() =>
        JsonSerializer.Deserialize<List<Scenario>>(File.ReadAllText(Path.Combine(RepoPaths.Fixtures("Audit.Rules.Tests"), "rule-pack-cases.json")), CaseJson)!);

    private static readonly Lazy<RuleCatalog> Shipped = new(() =>
    {
        var r = RuleSetLoader.Load([RepoPaths.Rules]);
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        return r.Catalog!;
    });

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in AllCases.Value)
        {
            data.Add(c.ToString());
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Rule_scenario(string name)
    {
        var c = AllCases.Value.Single(x => x.ToString() == name);
        var root = JsonNode.Parse(File.ReadAllText(RepoPaths.SampleSnapshot))!;
        var overrides = new Dictionary<string, string>();
        foreach (var (path, value) in c.Set ?? [])
        {
            if (path.StartsWith("$param:", StringComparison.Ordinal))
            {
                overrides[path["$param:".Length..]] = value!.GetValue<string>();
                continue;
            }
            SnapshotPatch.Set(root, path, value?.DeepClone());
        }
        foreach (var (path, value) in c.Append ?? [])
        {
            SnapshotPatch.Append(root, path, value.DeepClone());
        }
        // The patched scenario must still be a valid snapshot: fixtures cannot drift from the contract.
        var snapshot = SnapshotLoader.Parse(Encoding.UTF8.GetBytes(root.ToJsonString()), $"{c.Rule}.scenario.json");
        var catalog = overrides.Count == 0
            ? Shipped.Value
            : RuleSetText.Compile(File.ReadAllText(Shipped.Value.Rules.Single(r => r.Id == c.Rule).RuleSet.Path is var p && File.Exists(p) ? p : Path.Combine(RepoPaths.Root, p)),
                new RuleLoadOptions { ParameterOverrides = overrides });
        var results = Evaluator.Evaluate(catalog.Select(r => r.Id == c.Rule), snapshot, new EvaluationOptions { RecordTimings = false });
        var verdict = results.Results.SingleOrDefault(v => v.Entity == c.Entity);
        Assert.True(verdict is not null, $"no verdict for {c.Entity}; entities: {string.Join(", ", results.Results.Select(v => v.Entity))}");
        Assert.True(c.Outcome == verdict!.Outcome.Name(), $"{c.Rule} on {c.Entity}: expected {c.Outcome}, got {verdict.Outcome.Name()}: {verdict.Message}");
        if (c.MessageContains is not null)
        {
            Assert.Contains(c.MessageContains, verdict.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_shipped_rule_has_pass_and_fail_scenarios_and_not_applicable_where_it_can_be()
    {
        var missing = new List<string>();
        foreach (var rule in Shipped.Value.Rules)
        {
            var outcomes = AllCases.Value.Where(c => c.Rule == rule.Id).Select(c => c.Outcome).ToHashSet();
            foreach (var needed in new[] { "pass", "fail" })
            {
                if (!outcomes.Contains(needed))
                {
                    missing.Add($"{rule.Id}: no {needed} scenario");
                }
            }
            if ((rule.Definition.Preconditions.Count > 0 || rule.Definition.When is not null) && !outcomes.Contains("notApplicable"))
            {
                missing.Add($"{rule.Id}: has applicability conditions but no notApplicable scenario");
            }
        }
        Assert.Empty(missing);
        Assert.All(AllCases.Value.Select(c => c.Rule).Distinct(), id => Assert.Contains(Shipped.Value.Rules, r => r.Id == id));
    }

    [Fact]
    public void Every_shipped_rule_is_documented_for_auditors()
    {
        foreach (var rule in Shipped.Value.Rules)
        {
            var d = rule.Definition;
            Assert.Matches(@"^(HV-IS|HV-LM|AD-DELEG|KB|TRIM|DISK|SMB)-\d{3}$", d.Id);
            Assert.True(d.Rationale.Length > 60, $"{d.Id}: rationale too short");
            Assert.True(d.Remediation.Length > 30, $"{d.Id}: remediation too short");
            Assert.NotEmpty(d.References);
            Assert.NotNull(d.Expected);
            Assert.NotNull(d.Actual);
        }
    }

    [Fact]
    public void Sample_estate_has_findings_in_every_family_and_no_classic_false_alarm()
    {
        var results = Evaluator.Evaluate(Shipped.Value, SnapshotLoader.Load(RepoPaths.SampleSnapshot), new EvaluationOptions { RecordTimings = false });
        var failingFamilies = results.Results.Where(v => v.Outcome == Core.Outcome.Fail).Select(v => RuleSetLoader.Family(v.RuleId)).ToHashSet();
        foreach (var family in new[] { "HV-IS", "HV-LM", "AD-DELEG", "KB", "TRIM", "DISK", "SMB" })
        {
            Assert.Contains(family, failingFamilies);
        }
        // XP/2003 guests at .16384 next to 2012 guests at .16433: no Integration Services finding for them.
        foreach (var xp in new[] { "ZULU/LEGACY-XP", "ZULU/ERP-2003", "XRAY/PRINT-2003" })
        {
            Assert.DoesNotContain(results.Results, v => v.RuleId.StartsWith("HV-IS", StringComparison.Ordinal) && v.Entity == xp && v.Outcome != Core.Outcome.Pass);
        }
    }
}
