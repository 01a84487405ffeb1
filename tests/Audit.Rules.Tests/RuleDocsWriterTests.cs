using Audit.Tests.Common;
using Audit.Rules.Compilation;
using Audit.Rules.Documentation;

namespace Audit.Rules.Tests;

public class RuleDocsWriterTests
{
    private static RuleCatalog Shipped()
    {
        var r = RuleSetLoader.Load([RepoPaths.Rules]);
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        return r.Catalog!;
    }

    [Fact]
    public void The_page_of_a_rule_carries_rationale_applicability_check_evidence_and_remediation()
    {
        var rule = Shipped().Rules.Single(r => r.Id == "HV-IS-001");
        Approvals.Verify("Audit.Rules.Tests", "HV-IS-001.rule-page.md", RuleDocsWriter.Page(rule));
    }

    [Fact]
    public void Writing_the_catalogue_gives_one_page_per_rule_and_an_index_linking_each()
    {
        using var dir = new TempDir();
        var catalog = Shipped();
        var written = RuleDocsWriter.Write(catalog, dir.Path);
        Assert.Equal(catalog.Rules.Count + 1, written.Count);
        var index = File.ReadAllText(Path.Combine(dir.Path, "README.md"));
        foreach (var rule in catalog.Rules)
        {
            Assert.True(File.Exists(Path.Combine(dir.Path, rule.Id + ".md")), rule.Id);
            Assert.Contains($"[{rule.Id}]({rule.Id}.md)", index, StringComparison.Ordinal);
        }
    }
}
