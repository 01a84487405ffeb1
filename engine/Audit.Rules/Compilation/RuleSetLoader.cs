using System.Linq.Dynamic.Core.Exceptions;
using System.Linq.Expressions;
using System.Text.Json;
using System.Text.RegularExpressions;
using Audit.Core;
using RulesEngine.Models;
using Audit.Core.Loading;
using Audit.Core.Results;

namespace Audit.Rules.Compilation;

public sealed record RuleLoadOptions
{
    /// <summary>Parameter overrides from the command line or a params file: "name" (every rule set declaring it) or "ruleSetId.name".</summary>
    public IReadOnlyDictionary<string, string> ParameterOverrides { get; init; } = new Dictionary<string, string>();
    /// <summary>Where each override came from, for diagnostics ("--param", a file name).</summary>
    public string OverrideSource { get; init; } = "--param";
    /// <summary>Values from a --params file (schema/params.v1.schema.json), name or ruleSetId.name -> JSON value; the command line wins over them.</summary>
    public LoadedJson<Dictionary<string, JsonElement>>? ParameterFile { get; init; }
    public LoadOptions Load { get; init; } = LoadOptions.Default;
    /// <summary>A rule set path as diagnostics and results.json show it; default: relative to the process's current folder.</summary>
    public Func<string, string> Display { get; init; } = RuleSetLoader.Display;
}

public sealed record RuleLoadResult(RuleCatalog? Catalog, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Succeeded => Catalog is not null;
}

/// <summary>
/// Loads rule set files (or folders of them), validates them against schema/ruleset.v1.schema.json, checks every
/// expression (syntax, unknown facts, allow-list, types) with positions, and compiles each once: parsed as RulesEngine's RuleExpressionParser parses (ExpressionCompiler), checked by ExpressionGuard, compiled by ExpressionCompiler.
/// Collects every diagnostic rather than stopping at the first.
/// </summary>
public static partial class RuleSetLoader
{
    public const string SchemaName = "ruleset.v1.schema.json";

    internal static ReSettings Settings() => new()
    {
        CustomTypes = [typeof(Fn), typeof(Version)],
        EnableExceptionAsErrorMessage = true,
        // Without it, RuleExpressionParser.Parse turns a syntax error into a constant (false for a test): never fail open.
        EnableExceptionAsErrorMessageForRuleExpressionParsing = true,
        EnableFormattedErrorMessage = false,
        IgnoreException = false,
        AutoRegisterInputType = false,
        IsExpressionCaseSensitive = false,
        EnableScopedParams = false,
        UseFastExpressionCompiler = true,
        AutoExecuteActions = false,
    };

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    internal static partial Regex Placeholder();

    internal static readonly string[] BuiltInPlaceholders = ["expected", "actual", "entity", "host", "title"];

    /// <summary>Placeholders a notApplicable message may use (lets are not computed when a rule does not apply).</summary>
    internal static readonly string[] NotApplicablePlaceholders = ["entity", "host", "title"];

    /// <summary>Rule set files found at the given paths (a file, or a folder searched recursively for *.json except the
    /// rule cases files *.cases.json kept beside them), in a stable order.</summary>
    public static IReadOnlyList<string> ExpandPaths(IEnumerable<string> paths, DiagnosticBag bag, Func<string, string>? display = null)
    {
        display ??= Display;
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
            {
                var found = Directory.EnumerateFiles(p, "*.json", SearchOption.AllDirectories)
                    .Where(f => !f.EndsWith(Testing.RuleCasesLoader.Suffix, StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0)
                {
                    bag.Error(DiagnosticCodes.NoRules, "folder contains no rule set (*.json) files", display(p));
                }
                files.AddRange(found);
            }
            else if (File.Exists(p))
            {
                files.Add(p);
            }
            else
            {
                bag.Error(DiagnosticCodes.FileNotFound, "rule set file or folder not found", display(p));
            }
        }
        return [.. files.Distinct(StringComparer.Ordinal)];
    }

    public static RuleLoadResult Load(IEnumerable<string> paths, RuleLoadOptions? options = null)
    {
        options ??= new RuleLoadOptions();
        var bag = new DiagnosticBag();
        var files = ExpandPaths(paths, bag, options.Display);
        var docs = new List<LoadedJson<RuleSetDocument>>();
        foreach (var f in files)
        {
            try
            {
                docs.Add(JsonFileLoader.Load<RuleSetDocument>(f, SchemaName, options.Load, options.Display(f)));
            }
            catch (InputException e)
            {
                bag.AddRange(e.Diagnostics);
            }
        }
        return Compile(docs, options, bag);
    }

    /// <summary>Compiles already-read rule set documents (used by Load and by tests that build rule sets in memory).</summary>
    internal static RuleLoadResult Compile(IReadOnlyList<LoadedJson<RuleSetDocument>> docs, RuleLoadOptions options, DiagnosticBag bag)
    {
        CheckDuplicates(docs, bag);
        var usedOverrides = new HashSet<string>(StringComparer.Ordinal);
        var usedFileKeys = new HashSet<string>(StringComparer.Ordinal) { "$schema" };
        var sets = new List<LoadedRuleSet>();
        var rules = new List<CompiledRule>();
        var parser = new ExpressionCompiler(Settings());
        foreach (var doc in docs)
        {
            var set = BindValues(doc, options, usedOverrides, usedFileKeys, bag);
            sets.Add(set);
            for (var i = 0; i < doc.Value.Rules.Count; i++)
            {
                var compiled = CompileRule(doc, set, i, parser, bag);
                if (compiled is not null)
                {
                    rules.Add(compiled);
                }
            }
        }
        foreach (var key in options.ParameterOverrides.Keys.Where(k => !usedOverrides.Contains(k)).Order(StringComparer.Ordinal))
        {
            bag.Error(DiagnosticCodes.InvalidParameter, $"no rule set declares a parameter '{key}'", options.OverrideSource);
        }
        if (options.ParameterFile is { } pf)
        {
            foreach (var key in pf.Value.Keys.Where(k => !usedFileKeys.Contains(k)).Order(StringComparer.Ordinal))
            {
                var (l, c) = pf.Positions.Position(key);
                bag.Error(DiagnosticCodes.InvalidParameter, $"no rule set declares a parameter '{key}'", pf.DisplayPath, l, c);
            }
        }
        if (docs.Count == 0 && !bag.HasErrors)
        {
            bag.Error(DiagnosticCodes.NoRules, "no rule sets given");
        }
        if (bag.HasErrors)
        {
            return new RuleLoadResult(null, bag.Sorted());
        }
        return new RuleLoadResult(new RuleCatalog(sets, rules), bag.Sorted());
    }

    private static void CheckDuplicates(IReadOnlyList<LoadedJson<RuleSetDocument>> docs, DiagnosticBag bag)
    {
        var setIds = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var ruleIds = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var doc in docs)
        {
            if (!setIds.TryAdd(doc.Value.Id, doc.DisplayPath))
            {
                var (l, c) = doc.Positions.Position("id");
                bag.Error(DiagnosticCodes.DuplicateRuleSetId, $"rule set id '{doc.Value.Id}' is also used by {setIds[doc.Value.Id]}", doc.DisplayPath, l, c);
            }
            for (var i = 0; i < doc.Value.Rules.Count; i++)
            {
                var id = doc.Value.Rules[i].Id;
                var (l, c) = doc.Positions.Position($"rules[{i}].id");
                var here = $"{doc.DisplayPath}({l},{c})";
                if (!ruleIds.TryAdd(id, here))
                {
                    bag.Error(DiagnosticCodes.DuplicateRuleId, $"rule id '{id}' is already defined at {ruleIds[id]}", doc.DisplayPath, l, c, id);
                }
            }
        }
    }

    private static LoadedRuleSet BindValues(LoadedJson<RuleSetDocument> doc, RuleLoadOptions options, HashSet<string> usedOverrides, HashSet<string> usedFileKeys, DiagnosticBag bag)
    {
        var sources = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var d = doc.Value;
        var props = new List<(string, Type, object?)>();
        var effective = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
        var typed = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, def) in d.Parameters)
        {
            var (l, c) = doc.Positions.Position($"parameters.{name}");
            if (!ValueBinder.Identifier().IsMatch(name))
            {
                bag.Error(DiagnosticCodes.InvalidParameter, $"parameter name '{name}' is not an identifier (letters, digits, _)", doc.DisplayPath, l, c);
                continue;
            }
            var value = ValueBinder.FromJson(def, def.Default, out var error);
            if (error is not null)
            {
                var (dl, dc) = doc.Positions.Position($"parameters.{name}.default");
                bag.Error(DiagnosticCodes.InvalidParameter, $"default of parameter '{name}': {error}", doc.DisplayPath, dl, dc);
                // Keep the parameter (typed, no value) so the rules using it are still checked: every mistake is reported in one pass.
                props.Add((name, ValueBinder.ClrType(def.Type), null));
                continue;
            }
            sources[name] = ParameterSources.Default;
            // Precedence: default < --params file < --param; within each, ruleSetId.name wins over name.
            if (options.ParameterFile is { } file)
            {
                foreach (var key in new[] { name, $"{d.Id}.{name}" })
                {
                    if (file.Value.TryGetValue(key, out var json))
                    {
                        usedFileKeys.Add(key);
                        var fromFile = ValueBinder.FromJson(def, json, out var fileError);
                        if (fileError is not null)
                        {
                            var (fl, fc) = file.Positions.Position(key);
                            bag.Error(DiagnosticCodes.InvalidParameter, $"{key}: {fileError} (declared in {doc.DisplayPath})", file.DisplayPath, fl, fc);
                        }
                        else
                        {
                            value = fromFile;
                            sources[name] = ParameterSources.File;
                        }
                    }
                }
            }
            foreach (var key in new[] { name, $"{d.Id}.{name}" })
            {
                if (options.ParameterOverrides.TryGetValue(key, out var text))
                {
                    usedOverrides.Add(key);
                    var over = ValueBinder.FromText(def, text, out var overError);
                    if (overError is not null)
                    {
                        bag.Error(DiagnosticCodes.InvalidParameter, $"{key}: {overError}", options.OverrideSource);
                    }
                    else
                    {
                        value = over;
                        sources[name] = ParameterSources.CommandLine;
                    }
                }
            }
            props.Add((name, ValueBinder.ClrType(def.Type), value));
            typed[name] = value;
            effective[name] = JsonSerializer.SerializeToElement(value is Version v ? v.ToString() : value, AuditJson.Compact);
        }
        var lookups = new List<(string, Type, object?)>();
        foreach (var (name, def) in d.Lookups)
        {
            var (l, c) = doc.Positions.Position($"lookups.{name}");
            if (!ValueBinder.Identifier().IsMatch(name))
            {
                bag.Error(DiagnosticCodes.InvalidLookup, $"lookup name '{name}' is not an identifier (letters, digits, _)", doc.DisplayPath, l, c);
                continue;
            }
            var bound = ValueBinder.Lookup(def, out var error);
            if (bound is null)
            {
                var (vl, vc) = doc.Positions.Position($"lookups.{name}.values");
                bag.Error(DiagnosticCodes.InvalidLookup, $"lookup '{name}': {error}", doc.DisplayPath, vl, vc);
                continue;
            }
            lookups.Add((name, bound.Value.Type, bound.Value.Value));
        }
        var p = ValueBinder.Object(props);
        var lk = ValueBinder.Object(lookups);
        return new LoadedRuleSet
        {
            Document = d,
            Path = doc.DisplayPath,
            Sha256 = doc.Sha256,
            ParamsType = p.Type,
            ParamsValue = p.Value,
            LookupsType = lk.Type,
            LookupsValue = lk.Value,
            EffectiveParameters = effective,
            ParameterValues = typed,
            ParameterSources = sources,
        };
    }

    private static CompiledRule? CompileRule(LoadedJson<RuleSetDocument> doc, LoadedRuleSet set, int index, ExpressionCompiler parser, DiagnosticBag bag)
    {
        var def = doc.Value.Rules[index];
        var at = $"rules[{index}]";
        var errorsBefore = bag.Items.Count(x => x.Level == DiagnosticLevel.Error);
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

        var inputs = new List<InputDeclaration>(ScopeInputs.For(scope));
        inputs.AddRange(ScopeInputs.Common(set.ParamsType, set.LookupsType));
        var baseParams = inputs.Select(i => Expression.Parameter(i.Type, i.Name)).ToList();
        var inputSet = new HashSet<ParameterExpression>(baseParams);
        var allParams = new List<ParameterExpression>(baseParams);
        var deps = new HashSet<(string, string)>();
        var applicabilityDeps = new HashSet<(string, string)>();
        var collectInto = deps;
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        var names = new HashSet<string>(inputs.Select(i => i.Name), StringComparer.OrdinalIgnoreCase);

        (Expression Body, ParameterExpression[] Parameters)? Check(string path, string expression, Type? returnType)
        {
            Expression parsed;
            ParameterExpression[] parameters = [.. allParams];
            try
            {
                parsed = parser.Parse(expression, parameters, returnType);
            }
            catch (Exception e)
            {
                var pe = FindParseException(e);
                var pos = pe?.Position ?? 0;
                var (l, c) = doc.Positions.PositionInString(path, pos);
                var msg = pe?.Message ?? e.Message;
                var code = msg.Contains("No property or field", StringComparison.Ordinal) || msg.Contains("Unknown identifier", StringComparison.Ordinal)
                    ? DiagnosticCodes.UnknownMember
                    : msg.StartsWith("Expression of type", StringComparison.Ordinal) || (msg.Contains("type", StringComparison.OrdinalIgnoreCase) && msg.Contains("convert", StringComparison.OrdinalIgnoreCase))
                        ? DiagnosticCodes.ExpressionType
                        : DiagnosticCodes.ExpressionSyntax;
                bag.Error(code, $"{Field(path)}: {msg.TrimEnd('.')}", doc.DisplayPath, l, c, def.Id);
                return null;
            }
            var guard = new ExpressionGuard(inputSet, t => t == set.ParamsType || t == set.LookupsType || t == typeof(NoValues));
            guard.Visit(parsed);
            if (guard.Violations.Count > 0)
            {
                var (l, c) = doc.Positions.Position(path);
                foreach (var v in guard.Violations.Distinct(StringComparer.Ordinal))
                {
                    var code = v.StartsWith("expression is too complex", StringComparison.Ordinal) ? DiagnosticCodes.ExpressionTooComplex : DiagnosticCodes.DisallowedMember;
                    bag.Error(code, $"{Field(path)}: {v}", doc.DisplayPath, l, c, def.Id);
                }
                return null;
            }
            collectInto.UnionWith(guard.Dependencies);
            referenced.UnionWith(guard.ReferencedInputs);
            return (parsed, parameters);
        }

        // 'when' sees the inputs only: it decides applicability before any let runs (an off VM has no guest facts to compute from).
        collectInto = applicabilityDeps;
        // Each expression is compiled once, exactly as checked, to the delegate evaluation calls.
        var preconditionTests = new List<Func<object[], bool>>();
        Func<object[], bool>? whenTest = null;
        for (var i = 0; i < def.Preconditions.Count; i++)
        {
            if (Check($"{at}.preconditions[{i}].that", def.Preconditions[i].That, typeof(bool)) is { } parsed)
            {
                preconditionTests.Add(ExpressionCompiler.Compile<bool>(parsed.Body, parsed.Parameters));
            }
        }
        if (def.When is not null && Check($"{at}.when", def.When, typeof(bool)) is { } parsedWhen)
        {
            whenTest = ExpressionCompiler.Compile<bool>(parsedWhen.Body, parsedWhen.Parameters);
        }
        collectInto = deps;

        var lets = new List<CompiledLet>();
        foreach (var (name, expression) in def.Let)
        {
            var path = $"{at}.let.{name}";
            if (!ValueBinder.Identifier().IsMatch(name) || !names.Add(name))
            {
                var (l, c) = doc.Positions.Position(path);
                bag.Error(DiagnosticCodes.ExpressionSyntax, $"let name '{name}' is not an identifier or hides another name", doc.DisplayPath, l, c, def.Id);
                continue;
            }
            var parsed = Check(path, expression, null);
            if (parsed is null)
            {
                continue;
            }
            var compiled = ExpressionCompiler.Compile<object>(parsed.Value.Body, parsed.Value.Parameters);
            lets.Add(new CompiledLet(name, parsed.Value.Body.Type, compiled));
            allParams.Add(Expression.Parameter(parsed.Value.Body.Type, name));
        }

        Func<object[], bool>? assertTest = null;
        if (Check($"{at}.assert", def.Assert, typeof(bool)) is { } parsedAssert)
        {
            assertTest = ExpressionCompiler.Compile<bool>(parsedAssert.Body, parsedAssert.Parameters);
        }
        Func<object[], object>? expected = null, actual = null;
        if (def.Expected is not null && Check($"{at}.expected", def.Expected, null) is { } parsedExpected)
        {
            expected = ExpressionCompiler.Compile<object>(parsedExpected.Body, parsedExpected.Parameters);
        }
        if (def.Actual is not null && Check($"{at}.actual", def.Actual, null) is { } parsedActual)
        {
            actual = ExpressionCompiler.Compile<object>(parsedActual.Body, parsedActual.Parameters);
        }

        var allowedPlaceholders = new HashSet<string>(BuiltInPlaceholders.Concat(def.Let.Keys), StringComparer.Ordinal);
        var messages = new List<(string Field, string? Text)> { ("message", def.Message), ("passMessage", def.PassMessage), ("notApplicableMessage", def.NotApplicableMessage) };
        messages.AddRange(def.Preconditions.Select((p, i) => ($"preconditions[{i}].otherwise", (string?)p.Otherwise)));
        foreach (var (field, text) in messages)
        {
            foreach (Match m in Placeholder().Matches(text ?? ""))
            {
                var allowed = field == "notApplicableMessage" || field.StartsWith("preconditions", StringComparison.Ordinal) ? NotApplicablePlaceholders.Contains(m.Groups[1].Value) : allowedPlaceholders.Contains(m.Groups[1].Value);
                if (!allowed)
                {
                    var (l, c) = doc.Positions.PositionInString($"{at}.{field}", m.Index);
                    bag.Error(DiagnosticCodes.UnknownPlaceholder, $"{field}: unknown placeholder '{m.Value}' (use {{expected}}, {{actual}}, {{entity}}, {{host}}, {{title}} or a let name)", doc.DisplayPath, l, c, def.Id);
                }
            }
        }

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
            Inputs = inputs,
            Lets = lets,
            PreconditionTests = preconditionTests,
            WhenTest = whenTest,
            AssertTest = assertTest!,
            Expected = expected,
            Actual = actual,
            Dependencies = deps,
            ApplicabilityDependencies = applicabilityDeps,
            ReferencedInputs = referenced,
        };
    }

    private static string Field(string path)
    {
        var dot = path.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? path[(dot + 1)..] : path;
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

    /// <summary>A path relative to the process's current folder where it lies below it, else full; forward slashes.</summary>
    public static string Display(string path)
    {
        var full = Path.GetFullPath(path);
        var cwd = Directory.GetCurrentDirectory();
        var rel = Path.GetRelativePath(cwd, full);
        return (rel.StartsWith("..", StringComparison.Ordinal) ? full : rel).Replace('\\', '/');
    }
}
