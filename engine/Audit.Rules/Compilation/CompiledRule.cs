using System.Text.Json;
using Audit.Core.Results;

namespace Audit.Rules.Compilation;

/// <summary>A rule set file after loading: its document, typed params/lookups and provenance.</summary>
public sealed class LoadedRuleSet
{
    public required RuleSetDocument Document { get; init; }
    public required string Path { get; init; }
    public required string Sha256 { get; init; }
    public required Type ParamsType { get; init; }
    public required object ParamsValue { get; init; }
    public required Type LookupsType { get; init; }
    public required object LookupsValue { get; init; }
    /// <summary>Effective parameter values by name (defaults merged with overrides).</summary>
    public required IReadOnlyDictionary<string, JsonElement> EffectiveParameters { get; init; }
    /// <summary>Typed parameter values by name, for the engine's own use (migration groups).</summary>
    public required IReadOnlyDictionary<string, object?> ParameterValues { get; init; }
    /// <summary>Where each effective value came from: <see cref="Compilation.ParameterSources"/>.</summary>
    public IReadOnlyDictionary<string, string> ParameterSources { get; init; } = new Dictionary<string, string>();

    public RuleSetRef Ref => new() { Id = Document.Id, Version = Document.Version, Title = Document.Title, Path = Path, Sha256 = Sha256 };
}

/// <summary>A named value computed before when/assert.</summary>
internal sealed record CompiledLet(string Name, Type Type, Func<object[], object> Evaluate);

/// <summary>A rule ready to evaluate: inputs, lets, the compiled precondition/when/assert tests, evidence delegates, dependencies.</summary>
public sealed class CompiledRule
{
    public required RuleDefinition Definition { get; init; }
    public required LoadedRuleSet RuleSet { get; init; }
    public required Scope Scope { get; init; }
    public required Severity Severity { get; init; }
    public required RuleInfo Info { get; init; }

    /// <summary>Scope inputs then common inputs, in the order values are passed.</summary>
    internal IReadOnlyList<InputDeclaration> Inputs { get; init; } = [];
    internal IReadOnlyList<CompiledLet> Lets { get; init; } = [];
    /// <summary>The rule's expressions, parsed by RulesEngine's <c>RuleExpressionParser</c>, checked by <see cref="ExpressionGuard"/>
    /// and compiled once (<see cref="ExpressionCompiler"/>) into delegates over the input (and let) values: preconditions in order
    /// (each with its <see cref="RuleDefinition.Preconditions"/> otherwise message), when, assert, expected and actual.</summary>
    internal IReadOnlyList<Func<object[], bool>> PreconditionTests { get; init; } = [];
    internal Func<object[], bool>? WhenTest { get; init; }
    internal Func<object[], bool> AssertTest { get; init; } = _ => false;
    internal Func<object[], object>? Expected { get; init; }
    internal Func<object[], object>? Actual { get; init; }

    /// <summary>(input name or "*", collector) pairs read by preconditions and when: checked before applicability is decided.</summary>
    internal IReadOnlySet<(string Input, string Collector)> ApplicabilityDependencies { get; init; } = new HashSet<(string, string)>();

    /// <summary>(input name or "*", collector) pairs read by lets, assert and evidence: checked once the rule applies.</summary>
    internal IReadOnlySet<(string Input, string Collector)> Dependencies { get; init; } = new HashSet<(string, string)>();
    internal IReadOnlySet<string> ReferencedInputs { get; init; } = new HashSet<string>();

    private (string Input, string Collector)[]? _sortedApplicability;
    private (string Input, string Collector)[]? _sortedDependencies;

    /// <summary>The dependency sets in a fixed order (so the first failing fact named is deterministic), sorted once.</summary>
    internal (string Input, string Collector)[] Sorted(IReadOnlySet<(string Input, string Collector)> set)
    {
        static (string, string)[] Sort(IReadOnlySet<(string Input, string Collector)> s) =>
            [.. s.OrderBy(d => d.Input, StringComparer.Ordinal).ThenBy(d => d.Collector, StringComparer.Ordinal)];
        if (ReferenceEquals(set, ApplicabilityDependencies))
        {
            return _sortedApplicability ??= Sort(set);
        }
        return ReferenceEquals(set, Dependencies) ? _sortedDependencies ??= Sort(set) : Sort(set);
    }

    public string Id => Definition.Id;

    private MessageTemplate?[]? _messages;

    /// <summary>The rule's messages split once into text and placeholders: fail, pass, notApplicable, then each precondition's otherwise (null where absent).</summary>
    internal MessageTemplate?[] Messages => _messages ??=
    [
        MessageTemplate.Parse(Definition.Message, Lets),
        Definition.PassMessage is { } pass ? MessageTemplate.Parse(pass, Lets) : null,
        Definition.NotApplicableMessage is { } na ? MessageTemplate.Parse(na, Lets) : null,
        .. Definition.Preconditions.Select(p => MessageTemplate.Parse(p.Otherwise, Lets)),
    ];
}
