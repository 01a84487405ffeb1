using System.Text;
using Audit.Core;
using Audit.Rules.Compilation;
using Audit.Core.Results;

namespace Audit.Rules.Documentation;

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
            sb.Append($"- {Code(set.Document.Id)} {Text(set.Document.Version)}: {Text(set.Document.Title)}\n");
        }
        sb.Append("\n| id | severity | scope | title |\n|---|---|---|---|\n");
        foreach (var r in catalog.Rules.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            sb.Append($"| [{r.Id}]({r.Id}.md) | {r.Severity.Name()} | {r.Scope.Name()} | {Text(r.Definition.Title)} |\n");
        }
        return sb.ToString();
    }

    public static string Page(CompiledRule rule)
    {
        var d = rule.Definition;
        var sb = new StringBuilder();
        sb.Append($"# {d.Id}: {Text(d.Title)}\n\n");
        sb.Append($"| severity | scope | rule set | tags |\n|---|---|---|---|\n| {rule.Severity.Name()} | {rule.Scope.Name()} | {Code(rule.RuleSet.Document.Id)} {Text(rule.RuleSet.Document.Version)} | {Text(string.Join(", ", d.Tags))} |\n\n");
        sb.Append("## Why it matters\n\n").Append(Text(d.Rationale)).Append("\n\n");
        if (d.Description is { Length: > 0 })
        {
            sb.Append(Text(d.Description)).Append("\n\n");
        }
        sb.Append("## When it applies\n\n");
        if (d.Preconditions.Count == 0 && d.When is null)
        {
            sb.Append($"To every {ScopeNoun(rule.Scope)}.\n\n");
        }
        foreach (var p in d.Preconditions)
        {
            sb.Append($"- {Code(p.That)}; otherwise not applicable: {Text(p.Otherwise)}\n");
        }
        if (d.When is not null)
        {
            sb.Append($"- {Code(d.When)}; otherwise not applicable{(d.NotApplicableMessage is null ? "" : ": " + Text(d.NotApplicableMessage))}\n");
        }
        if (d.Preconditions.Count > 0 || d.When is not null)
        {
            sb.Append('\n');
        }
        sb.Append("## What is checked\n\n");
        foreach (var (name, expr) in d.Let)
        {
            sb.Append($"- let {Code(name)} = {Code(expr)}\n");
        }
        sb.Append($"- passes when {Code(d.Assert)}\n\n");
        sb.Append("A fact whose collection failed on the host makes the verdict **error**, never pass.\n\n");
        sb.Append("## Evidence\n\n");
        sb.Append($"- expected: {Code(d.Expected ?? "(none)")}\n- actual: {Code(d.Actual ?? "(none)")}\n- finding: {Text(d.Message)}\n\n");
        sb.Append("## Remediation\n\n").Append(Text(d.Remediation)).Append("\n\n");
        sb.Append("## References\n\n");
        foreach (var r in d.References)
        {
            sb.Append($"- {Text(r)}\n");
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

    /// <summary>
    /// Rule texts are hostile like facts: control characters, bidi overrides and lone surrogates are shown as \uXXXX;
    /// HTML is escaped (Markdown renderers pass raw HTML through); Markdown punctuation that could open a link, emphasis,
    /// a code span or a table cell is backslash-escaped; line breaks become spaces (one text, one line).
    /// </summary>
    internal static string Text(string? s)
    {
        var sb = new StringBuilder();
        foreach (var ch in Visible(s ?? ""))
        {
            switch (ch)
            {
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '&': sb.Append("&amp;"); break;
                case '\\' or '`' or '*' or '_' or '[' or ']' or '|' or '#' or '!' or '~':
                    sb.Append('\\').Append(ch);
                    break;
                default: sb.Append(ch); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>An inline code span that its content cannot close: fenced by one backtick more than its longest run.</summary>
    internal static string Code(string? s)
    {
        var text = Visible(s ?? "");
        var longest = 0;
        for (int i = 0, run = 0; i < text.Length; i++)
        {
            run = text[i] == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        var fence = new string('`', longest + 1);
        var pad = text.StartsWith('`') || text.EndsWith('`') ? " " : "";
        return fence + pad + text + pad + fence;
    }

    /// <summary>Control characters (C0, DEL, C1), bidi controls and lone surrogates as \uXXXX; line breaks as spaces.</summary>
    private static string Visible(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var ch = s[i];
            if (ch is '\n' or '\r' or '\t')
            {
                sb.Append(' ');
            }
            else if (char.IsHighSurrogate(ch) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(ch).Append(s[++i]);
            }
            else if (ch < ' ' || (ch >= '\u007f' && ch <= '\u009f') || (ch >= '\u202a' && ch <= '\u202e') || (ch >= '\u2066' && ch <= '\u2069')
                || ch is '\u200e' or '\u200f' or '\u061c' || char.IsSurrogate(ch))
            {
                sb.Append("\\u").Append(((int)ch).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(ch);
            }
        }
        return sb.ToString();
    }
}
