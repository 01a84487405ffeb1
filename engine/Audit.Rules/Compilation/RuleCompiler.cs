using System.Linq.Dynamic.Core.Exceptions;
using System.Linq.Expressions;
using System.Text.RegularExpressions;
using Audit.Core;
using Audit.Core.Loading;
using Audit.Core.Results;

namespace Audit.Rules.Compilation;

/// <summary>
/// Compiles one rule of a loaded rule-set file: scope and severity, then each expression parsed (RulesEngine's parser),
/// checked (<see cref="ExpressionGuard"/>) and compiled once, in the order that decides what each may see: preconditions
/// and <c>when</c> the inputs only (their fact families are the applicability dependencies), the lets in order, then
/// <c>assert</c>, <c>expected</c> and <c>actual</c> the inputs and every let. Every problem goes to the bag with its
/// position; a rule with any error is not compiled.
/// </summary>
internal sealed class RuleCompiler
{
    private readonly LoadedJson<RuleSetDocument> _doc;
    private readonly LoadedRuleSet _set;
    private readonly RuleDefinition _def;
    private readonly string _at;
    private readonly ExpressionCompiler _parser;
    private readonly DiagnosticBag _bag;
    private readonly List<InputDeclaration> _inputs;
    private readonly HashSet<ParameterExpression> _inputSet;
    private readonly List<ParameterExpression> _visible;
    private readonly HashSet<string> _names;
    private readonly HashSet<(string, string)> _dependencies = [];
    private readonly HashSet<(string, string)> _applicabilityDependencies = [];
    private readonly HashSet<string> _referenced = new(StringComparer.Ordinal);

    private RuleCompiler(LoadedJson<RuleSetDocument> doc, LoadedRuleSet set, int index, Scope scope, ExpressionCompiler parser, DiagnosticBag bag)
    {
        _doc = doc;
        _set = set;
        _def = doc.Value.Rules[index];
        _at = $"rules[{index}]";
        _parser = parser;
        _bag = bag;
        _inputs = [.. ScopeInputs.For(scope), .. ScopeInputs.Common(set.ParamsType, set.LookupsType)];
        _visible = [.. _inputs.Select(i => Expression.Parameter(i.Type, i.Name))];
        _inputSet = [.. _visible];
        _names = new HashSet<string>(_inputs.Select(i => i.Name), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The compiled rule, or null when it has errors (each one in <paramref name="bag"/>).</summary>
    public static CompiledRule? Compile(LoadedJson<RuleSetDocument> doc, LoadedRuleSet set, int index, ExpressionCompiler parser, DiagnosticBag bag)
    {
        var def = doc.Value.Rules[index];
        var at = $"rules[{index}]";
        if (!EnumNames.TryParseScope(def.Scope, out var scope))
        {
            var (l, c) = doc.Positions.Position($"{at}.scope");
            bag.Error(DiagnosticCodes.UnknownScope, $"unknown scope '{def.Scope}': expected host, vm, hostPair, computer or cluster", doc.DisplayPath, l, c, def.Id);
            return null;
        }
        if (!EnumNames.TryParseSeverity(def.Severity, out var severity))
        {
            var (l, c) = doc.Positions.Position($"{at}.severity");
            bag.Error(DiagnosticCodes.SchemaViolation, $"unknown severity '{def.Severity}': expected critical, high, medium, low or info", doc.DisplayPath, l, c, def.Id);
            return null;
        }
        var errorsBefore = bag.Items.Count(x => x.Level == DiagnosticLevel.Error);
        var compiler = new RuleCompiler(doc, set, index, scope, parser, bag);
        var (preconditions, when) = compiler.Applicability();
        var lets = compiler.Lets();
        var assert = compiler.Test($"{compiler._at}.assert", def.Assert);
        var expected = def.Expected is null ? null : compiler.Value($"{compiler._at}.expected", def.Expected);
        var actual = def.Actual is null ? null : compiler.Value($"{compiler._at}.actual", def.Actual);
        compiler.CheckPlaceholders();
        if (bag.Items.Count(x => x.Level == DiagnosticLevel.Error) > errorsBefore)
        {
            return null;
        }
        return new CompiledRule
        {
            Definition = def,
            RuleSet = set,
            Scope = scope,
            Severity = severity,
            Info = new RuleInfo
            {
                Id = def.Id,
                Title = def.Title,
                Family = RuleInfo.FamilyOf(def.Id),
                Severity = severity,
                Scope = scope,
                RuleSet = set.Document.Id,
                Rationale = def.Rationale,
                Remediation = def.Remediation,
                References = def.References,
                Tags = def.Tags,
            },
            Inputs = compiler._inputs,
            Lets = lets,
            PreconditionTests = preconditions,
            WhenTest = when,
            AssertTest = assert!,
            Expected = expected,
            Actual = actual,
            Dependencies = compiler._dependencies,
            ApplicabilityDependencies = compiler._applicabilityDependencies,
            ReferencedInputs = compiler._referenced,
        };
    }

    /// <summary>Preconditions and 'when': they see the inputs only and decide applicability before any let runs (an off VM has no guest facts to compute from).</summary>
    private (List<Func<object[], bool>> Preconditions, Func<object[], bool>? When) Applicability()
    {
        var preconditions = new List<Func<object[], bool>>();
        for (var i = 0; i < _def.Preconditions.Count; i++)
        {
            if (Test($"{_at}.preconditions[{i}].that", _def.Preconditions[i].That, _applicabilityDependencies) is { } test)
            {
                preconditions.Add(test);
            }
        }
        var when = _def.When is null ? null : Test($"{_at}.when", _def.When, _applicabilityDependencies);
        return (preconditions, when);
    }

    /// <summary>The lets in order; each one is visible to the lets after it and to assert, expected and actual.</summary>
    private List<CompiledLet> Lets()
    {
        var lets = new List<CompiledLet>();
        foreach (var (name, expression) in _def.Let)
        {
            var path = $"{_at}.let.{name}";
            if (!ValueBinder.Identifier().IsMatch(name) || !_names.Add(name))
            {
                var (l, c) = _doc.Positions.Position(path);
                _bag.Error(DiagnosticCodes.ExpressionSyntax, $"let name '{name}' is not an identifier or hides another name", _doc.DisplayPath, l, c, _def.Id);
                continue;
            }
            if (Check(path, expression, null, _dependencies) is not { } parsed)
            {
                continue;
            }
            lets.Add(new CompiledLet(name, parsed.Body.Type, ExpressionCompiler.Compile<object>(parsed.Body, parsed.Parameters)));
            _visible.Add(Expression.Parameter(parsed.Body.Type, name));
        }
        return lets;
    }

    private Func<object[], bool>? Test(string path, string expression, HashSet<(string, string)>? dependencies = null) =>
        Check(path, expression, typeof(bool), dependencies ?? _dependencies) is { } parsed ? ExpressionCompiler.Compile<bool>(parsed.Body, parsed.Parameters) : null;

    private Func<object[], object>? Value(string path, string expression) =>
        Check(path, expression, null, _dependencies) is { } parsed ? ExpressionCompiler.Compile<object>(parsed.Body, parsed.Parameters) : null;

    /// <summary>Parses and checks one expression against what it may see now; its fact families go to <paramref name="dependencies"/>.</summary>
    private (Expression Body, ParameterExpression[] Parameters)? Check(string path, string expression, Type? returnType, HashSet<(string, string)> dependencies)
    {
        Expression parsed;
        ParameterExpression[] parameters = [.. _visible];
        try
        {
            parsed = _parser.Parse(expression, parameters, returnType);
        }
        catch (Exception e)
        {
            var pe = FindParseException(e);
            var pos = pe?.Position ?? 0;
            var (l, c) = _doc.Positions.PositionInString(path, pos);
            var msg = pe?.Message ?? e.Message;
            var code = ParseFailureCause.Of(expression, pos, returnType is not null && ParsesUntyped(_parser, expression, parameters), KnownNames(parameters));
            _bag.Error(code, $"{Field(path)}: {msg.TrimEnd('.')}", _doc.DisplayPath, l, c, _def.Id);
            return null;
        }
        var guard = new ExpressionGuard(_inputSet, t => t == _set.ParamsType || t == _set.LookupsType || t == typeof(NoValues));
        guard.Visit(parsed);
        if (guard.Violations.Count > 0)
        {
            var (l, c) = _doc.Positions.Position(path);
            foreach (var v in guard.Violations.Distinct())
            {
                _bag.Error(v.Code, $"{Field(path)}: {v.Message}", _doc.DisplayPath, l, c, _def.Id);
            }
            return null;
        }
        dependencies.UnionWith(guard.Dependencies);
        _referenced.UnionWith(guard.ReferencedInputs);
        return (parsed, parameters);
    }

    /// <summary>Message placeholders: {expected}, {actual}, {entity}, {host}, {title} or a let name; notApplicable and precondition messages only what exists before lets run.</summary>
    private void CheckPlaceholders()
    {
        var allowedPlaceholders = new HashSet<string>(RuleSetLoader.BuiltInPlaceholders.Concat(_def.Let.Keys), StringComparer.Ordinal);
        var messages = new List<(string Field, string? Text)> { ("message", _def.Message), ("passMessage", _def.PassMessage), ("notApplicableMessage", _def.NotApplicableMessage) };
        messages.AddRange(_def.Preconditions.Select((p, i) => ($"preconditions[{i}].otherwise", (string?)p.Otherwise)));
        foreach (var (field, text) in messages)
        {
            foreach (Match m in RuleSetLoader.Placeholder().Matches(text ?? ""))
            {
                var allowed = field == "notApplicableMessage" || field.StartsWith("preconditions", StringComparison.Ordinal) ? RuleSetLoader.NotApplicablePlaceholders.Contains(m.Groups[1].Value) : allowedPlaceholders.Contains(m.Groups[1].Value);
                if (!allowed)
                {
                    var (l, c) = _doc.Positions.PositionInString($"{_at}.{field}", m.Index);
                    _bag.Error(DiagnosticCodes.UnknownPlaceholder, $"{field}: unknown placeholder '{m.Value}' (use {{expected}}, {{actual}}, {{entity}}, {{host}}, {{title}} or a let name)", _doc.DisplayPath, l, c, _def.Id);
                }
            }
        }
    }

    private static string Field(string path)
    {
        var dot = path.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? path[(dot + 1)..] : path;
    }

    /// <summary>Whether the expression parses when no result type is required: then only its type was wrong.</summary>
    private static bool ParsesUntyped(ExpressionCompiler parser, string expression, ParameterExpression[] parameters)
    {
        try
        {
            _ = parser.Parse(expression, parameters, null);
            return true;
        }
        catch (Exception e) when (FindParseException(e) is not null || e is InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }

    private static HashSet<string> KnownNames(ParameterExpression[] parameters)
    {
        var names = new HashSet<string>(parameters.Select(p => p.Name ?? ""), StringComparer.OrdinalIgnoreCase);
        foreach (var t in RuleSetLoader.CustomTypes)
        {
            names.Add(t.Name);
        }
        return names;
    }

    private static ParseException? FindParseException(Exception? e)
    {
        while (e is not null)
        {
            if (e is ParseException pe)
            {
                return pe;
            }
            e = e.InnerException;
        }
        return null;
    }
}
