using Audit.Core.Results;

namespace Audit.Rules.Compilation;

/// <summary>Every loaded rule set and compiled rule of a run.</summary>
public sealed class RuleCatalog
{
    internal RuleCatalog(IReadOnlyList<LoadedRuleSet> ruleSets, IReadOnlyList<CompiledRule> rules)
    {
        RuleSets = ruleSets;
        Rules = rules;
    }

    public IReadOnlyList<LoadedRuleSet> RuleSets { get; }
    public IReadOnlyList<CompiledRule> Rules { get; }

    /// <summary>A catalogue restricted to some rules (selection); shares the compiled rules.</summary>
    public RuleCatalog Select(Func<CompiledRule, bool> keep) => new(RuleSets, [.. Rules.Where(keep)]);

    public IReadOnlyList<RuleInfo> Infos => [.. Rules.Select(r => r.Info)];
}
