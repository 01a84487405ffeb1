using System.Text;
using Audit.Core;

namespace Audit.Rules;

/// <summary>The rule catalogue for people: one Markdown page per rule and an index, so auditors need not read JSON.</summary>
public static class RuleDocsWriter
{
    public static IReadOnlyList<string> Write(RuleCatalog catalog, string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var rule in catalog.Rules.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            // Rule ids are constrained by the schema to [A-Z0-9-], so they are safe file names.
            var name = rule.Id + ".md";
            AtomicFile.WriteText(Path.Combine(directory, name), Page(rule));
            written.Add(name);
        }
        AtomicFile.WriteText(Path.Combine(directory, "README.md"), Index(catalog));
        written.Add("README.md");
        return written;
    }

    public static string Index(RuleCatalog catalog)
    {
        var sb = new StringBuilder();
        sb.Append("# Rule catalogue\n\n");
        foreach (var set in catalog.RuleSets)
        {
            sb.Append($"- `{set.Document.Id}` {set.Document.Version}: {set.Document.Title}\n");
        }
        sb.Append("\n| id | severity | scope | title |\n|---|---|---|---|\n");
        foreach (var r in catalog.Rules.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            sb.Append($"| [{r.Id}]({r.Id}.md) | {r.Severity.Name()} | {r.Scope.Name()} | {Cell(r.Definition.Title)} |\n");
        }
        return sb.ToString();
    }

    public static string Page(CompiledRule rule)
    {
        var d = rule.Definition;
        var sb = new StringBuilder();
        sb.Append($"# {d.Id}: {d.Title}\n\n");
        sb.Append($"| severity | scope | rule set | tags |\n|---|---|---|---|\n| {rule.Severity.Name()} | {rule.Scope.Name()} | `{rule.RuleSet.Document.Id}` {rule.RuleSet.Document.Version} | {string.Join(", ", d.Tags)} |\n\n");
        sb.Append("## Why it matters\n\n").Append(d.Rationale).Append("\n\n");
        if (d.Description is { Length: > 0 })
        {
            sb.Append(d.Description).Append("\n\n");
        }
        sb.Append("## When it applies\n\n");
        if (d.Preconditions.Count == 0 && d.When is null)
        {
            sb.Append($"To every {ScopeNoun(rule.Scope)}.\n\n");
        }
        foreach (var p in d.Preconditions)
        {
            sb.Append($"- `{p.That}`; otherwise not applicable: {p.Otherwise}\n");
        }
        if (d.When is not null)
        {
            sb.Append($"- `{d.When}`; otherwise not applicable{(d.NotApplicableMessage is null ? "" : ": " + d.NotApplicableMessage)}\n");
        }
        if (d.Preconditions.Count > 0 || d.When is not null)
        {
            sb.Append('\n');
        }
        sb.Append("## What is checked\n\n");
        foreach (var (name, expr) in d.Let)
        {
            sb.Append($"- let `{name}` = `{expr}`\n");
        }
        sb.Append($"- passes when `{d.Assert}`\n\n");
        sb.Append("A fact whose collection failed on the host makes the verdict **error**, never pass.\n\n");
        sb.Append("## Evidence\n\n");
        sb.Append($"- expected: `{d.Expected ?? "(none)"}`\n- actual: `{d.Actual ?? "(none)"}`\n- finding: {d.Message}\n\n");
        sb.Append("## Remediation\n\n").Append(d.Remediation).Append("\n\n");
        sb.Append("## References\n\n");
        foreach (var r in d.References)
        {
            sb.Append($"- {r}\n");
        }
        return sb.ToString();
    }

    private static string ScopeNoun(Scope scope) => scope switch
    {
        Scope.Host => "host",
        Scope.Vm => "virtual machine",
        Scope.HostPair => "ordered pair of hosts that may migrate between each other",
        Scope.Computer => "computer account in the directory",
        Scope.Cluster => "cluster",
        _ => "entity",
    };

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);
}
