using System.Globalization;
using Audit.Core;
using Audit.Core.Loading;
using Audit.Core.Results;

namespace Audit.Rules.Waivers;

/// <summary>
/// Loads a waivers file (schema/waivers.v1.schema.json) strictly, then checks what the schema cannot: real dates,
/// entity patterns, rule patterns naming at least one loaded rule, and patterns that fit the rules' scopes.
/// Every problem is an AUD0030 error at the waiver's position; nothing is applied from an invalid file.
/// </summary>
public static class WaiversLoader
{
    public const string SchemaName = "waivers.v1.schema.json";

    public static WaiverSet Load(string path, IReadOnlyList<RuleInfo> rules, LoadOptions? options = null, string? displayPath = null)
        => Check(JsonFileLoader.Load<WaiversDocument>(path, SchemaName, options, displayPath), rules);

    public static WaiverSet Parse(byte[] utf8, string displayPath, IReadOnlyList<RuleInfo> rules)
        => Check(JsonFileLoader.Parse<WaiversDocument>(utf8, SchemaName, displayPath), rules);

    private static WaiverSet Check(LoadedJson<WaiversDocument> doc, IReadOnlyList<RuleInfo> rules)
    {
        var bag = new DiagnosticBag();
        var list = new List<LoadedWaiver>();
        var file = doc.DisplayPath;
        for (var i = 0; i < doc.Value.Waivers.Count; i++)
        {
            var w = doc.Value.Waivers[i];
            var at = $"waivers[{i}]";
            var (line, col) = doc.Positions.Position(at);
            var ok = true;
            void Error(string field, string message)
            {
                var (l, c) = doc.Positions.Position($"{at}.{field}");
                bag.Error(DiagnosticCodes.InvalidWaiver, $"{at}.{field}: {message}", file, l, c);
                ok = false;
            }

            if (!DateOnly.TryParseExact(w.Expires, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var expires))
            {
                Error("expires", $"'{w.Expires}' is not a calendar date (yyyy-mm-dd)");
            }
            HashSet<Severity>? severities = null;
            if (w.Severities is not null)
            {
                severities = [];
                foreach (var s in w.Severities)
                {
                    if (EnumNames.TryParseSeverity(s, out var sev))
                    {
                        severities.Add(sev);
                    }
                    else
                    {
                        Error("severities", $"'{s}' is not a severity (critical, high, medium, low, info)");
                    }
                }
            }
            var rulePatternError = RulePatternError(w.Rule);
            if (rulePatternError is not null)
            {
                Error("rule", rulePatternError);
            }
            var entity = EntityPattern.Parse(w.Entity, out var entityError);
            if (entity is null)
            {
                Error("entity", entityError!);
            }
            if (rulePatternError is null)
            {
                var matched = rules.Where(r => Glob.IsMatch(w.Rule, r.Id)).ToList();
                if (matched.Count == 0)
                {
                    var family = RuleInfo.FamilyOf(w.Rule);
                    var near = rules.Where(r => string.Equals(r.Family, family, StringComparison.OrdinalIgnoreCase)).Select(r => r.Id).Order(StringComparer.Ordinal).Take(8).ToList();
                    Error("rule", $"no loaded rule has the id '{w.Rule}'{(near.Count > 0 ? $" (rules of {family}: {string.Join(", ", near)})" : "")}");
                }
                else if (severities is not null && !matched.Exists(r => severities.Contains(r.Severity)))
                {
                    Error("severities", $"no rule matching '{w.Rule}' has severity {string.Join(" or ", w.Severities!)} (they are {string.Join(", ", matched.Select(r => r.Severity.Name()).Distinct())})");
                }
                else if (entity is not null)
                {
                    var problems = matched.Select(r => (r.Id, Hint: entity.IncompatibilityWith(r.Scope))).ToList();
                    if (problems.TrueForAll(p => p.Hint is not null))
                    {
                        var first = problems[0];
                        Error("entity", $"'{w.Entity}' can never match rule {first.Id}{(problems.Count > 1 ? $" (or the {problems.Count - 1} other rule(s) matching '{w.Rule}')" : "")}: {first.Hint}");
                    }
                }
            }
            if (ok)
            {
                list.Add(new LoadedWaiver
                {
                    Index = i,
                    Line = line,
                    Column = col,
                    Definition = w,
                    Expires = expires,
                    Severities = severities,
                    Entity = entity!,
                });
            }
        }
        if (bag.HasErrors)
        {
            throw new InputException(bag.Sorted());
        }
        return new WaiverSet(list, new WaiversFileRef { Path = file, Sha256 = doc.Sha256, Count = list.Count });
    }

    private static string? RulePatternError(string rule)
    {
        foreach (var ch in rule)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '*'))
            {
                return $"rule pattern '{rule}' contains '{ch}'; use a rule id such as HV-IS-001, or * wildcards (HV-IS-*)";
            }
        }
        return null;
    }
}
