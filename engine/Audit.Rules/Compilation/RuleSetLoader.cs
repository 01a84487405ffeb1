using System.Text.Json;
using System.Text.RegularExpressions;
using Audit.Core;
using RulesEngine.Models;
using Audit.Core.Loading;

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
/// expression (syntax, unknown facts, allow-list, types) with positions, and compiles each once: parsed by RulesEngine's RuleExpressionParser, checked by ExpressionGuard, compiled by ExpressionCompiler.
/// Collects every diagnostic rather than stopping at the first.
/// </summary>
public static partial class RuleSetLoader
{
    public const string SchemaName = "ruleset.v1.schema.json";

    /// <summary>The types expressions may name besides their inputs.</summary>
    internal static readonly Type[] CustomTypes = [typeof(Fn), typeof(Version)];

    internal static ReSettings Settings() => new()
    {
        CustomTypes = [.. CustomTypes],
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
                var compiled = RuleCompiler.Compile(doc, set, i, parser, bag);
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

    /// <summary>A path relative to the process's current folder where it lies below it, else full; forward slashes.</summary>
    public static string Display(string path)
    {
        var full = Path.GetFullPath(path);
        var cwd = Directory.GetCurrentDirectory();
        var rel = Path.GetRelativePath(cwd, full);
        return (rel.StartsWith("..", StringComparison.Ordinal) ? full : rel).Replace('\\', '/');
    }
}
