using Audit.Core;

namespace Audit.Rules;

/// <summary>Every loaded rule set and compiled rule of a run, with the one RulesEngine instance that evaluates them.</summary>
public sealed class RuleCatalog
{
    internal RuleCatalog(IReadOnlyList<LoadedRuleSet> ruleSets, IReadOnlyList<CompiledRule> rules, RulesEngine.RulesEngine engine)
    {
        RuleSets = ruleSets;
        Rules = rules;
        Engine = engine;
    }

    public IReadOnlyList<LoadedRuleSet> RuleSets { get; }
    public IReadOnlyList<CompiledRule> Rules { get; }
    internal RulesEngine.RulesEngine Engine { get; }

    /// <summary>A catalogue restricted to some rules (selection); shares the compiled engine.</summary>
    public RuleCatalog Select(Func<CompiledRule, bool> keep) => new(RuleSets, [.. Rules.Where(keep)], Engine);

    public IReadOnlyList<RuleInfo> Infos => [.. Rules.Select(r => r.Info)];
}
