using System.Text.Json;
using System.Text.Json.Nodes;
using Audit.Tests.Common;
using Audit.Rules.Compilation;
using Audit.Rules.Evaluation;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Rules.Tests;

/// <summary>Builds rule set files for tests and loads them through the real loader.</summary>
internal static class RuleSetText
{
    public static JsonObject Rule(string id, string scope, string assert, string? when = null, object? let = null, string? expected = null, string? actual = null, string severity = "high") => new()
    {
        ["id"] = id,
        ["title"] = $"title of {id}",
        ["severity"] = severity,
        ["scope"] = scope,
        ["rationale"] = "because",
        ["assert"] = assert,
        ["message"] = "{entity} failed: expected {expected}, actual {actual}",
        ["remediation"] = "fix it",
        ["when"] = when,
        ["let"] = let is null ? null : JsonSerializer.SerializeToNode(let),
        ["expected"] = expected,
        ["actual"] = actual,
    };

    public static string Set(IEnumerable<JsonObject> rules, string id = "test-set", JsonObject? parameters = null, JsonObject? lookups = null)
    {
        var cleaned = new JsonArray();
        foreach (var r in rules)
        {
            foreach (var key in r.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList())
            {
                r.Remove(key);
            }
            cleaned.Add(r);
        }
        var doc = new JsonObject
        {
            ["apiVersion"] = "audit.hyperv/v1",
            ["kind"] = "RuleSet",
            ["id"] = id,
            ["version"] = "1.0.0",
            ["title"] = "test",
            ["rules"] = cleaned,
        };
        if (parameters is not null)
        {
            doc["parameters"] = parameters;
        }
        if (lookups is not null)
        {
            doc["lookups"] = lookups;
        }
        return doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static RuleLoadResult Load(string text, RuleLoadOptions? options = null)
    {
        using var dir = new TempDir();
        var path = dir.File("set.json");
        File.WriteAllText(path, text);
        return RuleSetLoader.Load([path], options);
    }

    public static RuleCatalog Compile(params JsonObject[] rules) => Compile(Set(rules));

    public static RuleCatalog Compile(string text, RuleLoadOptions? options = null)
    {
        var r = Load(text, options);
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        return r.Catalog!;
    }

    public static ResultsDocument Evaluate(RuleCatalog catalog, Snapshot snapshot) =>
        Evaluator.Evaluate(catalog, snapshot, "0000", new EvaluationOptions { Clock = () => new DateTimeOffset(2026, 11, 24, 3, 0, 0, TimeSpan.Zero), RecordTimings = false });
}
