using Audit.Core;
using Audit.Rules.Compilation;
using Audit.Core.Results;

namespace Audit.Rules.Selection;

/// <summary>Which rules to evaluate: terms are rule ids, id prefixes or families (HV, HV-LM), or tags, with * wildcards, case-insensitive.</summary>
public sealed record SelectionOptions
{
    public IReadOnlyList<string> Include { get; init; } = [];
    public IReadOnlyList<string> Exclude { get; init; } = [];
    /// <summary>Evaluate only rules at least this severe.</summary>
    public Severity? MinSeverity { get; init; }

    public bool IsEmpty => Include.Count == 0 && Exclude.Count == 0 && MinSeverity is null;
}

/// <summary>A catalogue restricted by a selection, what was recorded about it, and any problems (terms matching nothing).</summary>
public sealed record RuleSelection(RuleCatalog Catalog, SelectionInfo? Info, IReadOnlyList<string> Errors);

/// <summary>
/// Applies --include / --exclude / --min-severity. A rule is evaluated when it matches some include term (or there are
/// none), matches no exclude term, and is at least as severe as the minimum. A term that matches no rule at all is an
/// error (a typo must not silently select nothing), as is a selection that leaves no rule.
/// </summary>
public static class RuleSelector
{
    public static bool Matches(string term, RuleInfo rule) =>
        Glob.IsMatch(term, rule.Id)
        || Glob.IsMatch(term, rule.Family)
        || rule.Tags.Any(t => Glob.IsMatch(term, t))
        || (!Glob.HasWildcard(term) && rule.Id.StartsWith(term + "-", StringComparison.OrdinalIgnoreCase));

    public static RuleSelection Apply(RuleCatalog catalog, SelectionOptions options)
    {
        if (options.IsEmpty)
        {
            return new RuleSelection(catalog, null, []);
        }
        var errors = new List<string>();
        var infos = catalog.Rules.Select(r => r.Info).ToList();
        foreach (var (option, terms) in new[] { ("--include", options.Include), ("--exclude", options.Exclude) })
        {
            foreach (var term in terms)
            {
                if (term.Length == 0 || term.Any(char.IsControl))
                {
                    errors.Add($"{DiagnosticCodes.InvalidSelection}: {option} needs a rule id, family or tag");
                }
                else if (!infos.Exists(r => Matches(term, r)))
                {
                    errors.Add($"{DiagnosticCodes.InvalidSelection}: {option} '{term}' matches no rule id, family or tag (see 'audit rules')");
                }
            }
        }
        bool Keep(CompiledRule r) =>
            (options.Include.Count == 0 || options.Include.Any(t => Matches(t, r.Info)))
            && !options.Exclude.Any(t => Matches(t, r.Info))
            && (options.MinSeverity is not { } min || r.Severity <= min);
        var selected = catalog.Select(Keep);
        if (errors.Count == 0 && selected.Rules.Count == 0)
        {
            errors.Add($"{DiagnosticCodes.InvalidSelection}: the selection leaves no rule to evaluate");
        }
        var info = new SelectionInfo
        {
            Include = options.Include,
            Exclude = options.Exclude,
            MinSeverity = options.MinSeverity,
            Available = catalog.Rules.Count,
            Selected = selected.Rules.Count,
            Excluded = [.. catalog.Rules.Where(r => !Keep(r)).Select(r => r.Id).Order(StringComparer.Ordinal)],
        };
        return new RuleSelection(selected, info, errors);
    }
}
