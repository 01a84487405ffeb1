using Audit.Core;
using Audit.Rules.Testing;
using Audit.Tests.Common;
using Audit.Rules.Compilation;
using Audit.Rules.Evaluation;
using Audit.Core.Snapshots;

namespace Audit.Rules.Tests;

/// <summary>
/// The shipped rule pack, rule by rule: the cases kept beside the rules (rules/*.cases.json) are run through the same
/// <see cref="RuleCaseRunner"/> as `audit test`: each edits the bundled sample, is validated against the snapshot schema,
/// evaluated with the real rule, and checked for the outcome of one entity.
/// </summary>
public class RulePackTests
{
    private static readonly Lazy<RuleCatalog> Shipped = new(() =>
    {
        var r = RuleSetLoader.Load([RepoPaths.Rules]);
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        return r.Catalog!;
    });

    private static readonly Lazy<IReadOnlyList<LoadedRuleCase>> AllCases = new(() =>
    {
        var bag = new DiagnosticBag();
        var cases = RuleCasesLoader.Load(RuleCasesLoader.Find([RepoPaths.Rules], bag), bag);
        Assert.True(!bag.HasErrors, string.Join("\n", bag.Items));
        return cases;
    });

    private static readonly Lazy<RuleCaseRunner> Runner = new(() => new RuleCaseRunner([RepoPaths.Rules], Shipped.Value));

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
        RuleCaseResult result;
        lock (Runner)
        {
            result = Runner.Value.RunOne(c);
        }
        Assert.True(result.Status == RuleCaseStatus.Passed, $"{c.File}({c.Line},{c.Column}) {c}: {result.Problem} (message: {result.Message})");
    }

    [Fact]
    public void Every_shipped_rule_has_pass_and_fail_scenarios_and_not_applicable_where_it_can_be()
    {
        var missing = new List<string>();
        foreach (var rule in Shipped.Value.Rules)
        {
            var outcomes = AllCases.Value.Where(c => c.Case.Rule == rule.Id).Select(c => c.Case.Outcome).ToHashSet();
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
        Assert.All(AllCases.Value.Select(c => c.Case.Rule).Distinct(), id => Assert.Contains(Shipped.Value.Rules, r => r.Id == id));
    }

    [Fact]
    public void Every_shipped_rule_is_documented_for_auditors()
    {
        foreach (var rule in Shipped.Value.Rules)
        {
            var d = rule.Definition;
            Assert.Matches(@"^(HV-IS|HV-LM|AD-DELEG|KB|TRIM|DISK|SMB|LIFE|CLU)-\d{3}$", d.Id);
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
        var failingFamilies = results.Results.Where(v => v.Outcome == Audit.Core.Results.Outcome.Fail).Select(v => Audit.Core.Results.RuleInfo.FamilyOf(v.RuleId)).ToHashSet();
        foreach (var family in new[] { "HV-IS", "HV-LM", "AD-DELEG", "KB", "TRIM", "DISK", "SMB" })
        {
            Assert.Contains(family, failingFamilies);
        }
        // XP/2003 guests at .16384 next to 2012 guests at .16433: no Integration Services finding for them.
        foreach (var xp in new[] { "ZULU/LEGACY-XP", "ZULU/ERP-2003", "XRAY/PRINT-2003" })
        {
            Assert.DoesNotContain(results.Results, v => v.RuleId.StartsWith("HV-IS", StringComparison.Ordinal) && v.Entity.Key == xp && v.Outcome != Audit.Core.Results.Outcome.Pass);
        }
    }
}
