using System.Text.Json;
using System.Text.Json.Serialization;
using Audit.Core;
using Audit.Core.Loading;

namespace Audit.Rules.Testing;

/// <summary>A rule cases file (schema/rulecases.v1.schema.json): scenarios over a base snapshot, each with the outcome expected for one entity.</summary>
internal sealed record RuleCasesDocument
{
    [JsonPropertyName("$schema")]
    public string? Schema { get; init; }
    public string? ApiVersion { get; init; }
    public string? Kind { get; init; }
    /// <summary>The snapshot each case starts from, relative to the cases file; null: the bundled sample.</summary>
    public string? Base { get; init; }
    public IReadOnlyList<RuleCase> Cases { get; init; } = [];
}

/// <summary>One scenario: edit the base snapshot, evaluate <see cref="Rule"/>, expect <see cref="Outcome"/> for <see cref="Entity"/>.</summary>
public sealed record RuleCase
{
    public string Rule { get; init; } = "";
    public string Name { get; init; } = "";
    public string Entity { get; init; } = "";
    public string Outcome { get; init; } = "";
    /// <summary>Path -> new value.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Set { get; init; }
    /// <summary>Path of an array -> item appended.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Append { get; init; }
    /// <summary>Parameter overrides as given to --param.</summary>
    public IReadOnlyDictionary<string, string>? Params { get; init; }
    public string? MessageContains { get; init; }

    public override string ToString() => $"{Rule}: {Name}";
}

/// <summary>A case as loaded: the case, its file and position, and the base snapshot's path.</summary>
public sealed record LoadedRuleCase(RuleCase Case, string File, int Line, int Column, string BasePath)
{
    public override string ToString() => Case.ToString();
}

/// <summary>Finds and reads *.cases.json files with positioned diagnostics.</summary>
public static class RuleCasesLoader
{
    public const string SchemaName = "rulecases.v1.schema.json";

    /// <summary>The suffix that marks a cases file; rule set folders skip such files.</summary>
    public const string Suffix = ".cases.json";

    /// <summary>The base snapshot of a cases file without "base": the bundled sample, relative to the rules folder.</summary>
    public const string DefaultBase = "../samples/estate.snapshot.json";

    /// <summary>Cases files at the given paths: a file, or a folder searched recursively for *.cases.json.</summary>
    public static IReadOnlyList<string> Find(IEnumerable<string> paths, DiagnosticBag bag)
    {
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
            {
                files.AddRange(Directory.EnumerateFiles(p, "*" + Suffix, SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            }
            else if (File.Exists(p))
            {
                files.Add(p);
            }
            else
            {
                bag.Error(DiagnosticCodes.FileNotFound, "rule cases file or folder not found", p);
            }
        }
        return [.. files.Distinct(StringComparer.Ordinal)];
    }

    public static IReadOnlyList<LoadedRuleCase> Load(IEnumerable<string> files, DiagnosticBag bag, LoadOptions? options = null)
    {
        var all = new List<LoadedRuleCase>();
        foreach (var file in files)
        {
            LoadedJson<RuleCasesDocument> doc;
            try
            {
                doc = JsonFileLoader.Load<RuleCasesDocument>(file, SchemaName, options);
            }
            catch (InputException e)
            {
                bag.AddRange(e.Diagnostics);
                continue;
            }
            var basePath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, doc.Value.Base ?? DefaultBase));
            var names = new HashSet<(string, string)>();
            for (var i = 0; i < doc.Value.Cases.Count; i++)
            {
                var c = doc.Value.Cases[i];
                var (line, col) = doc.Positions.Position($"cases[{i}]");
                if (!names.Add((c.Rule, c.Name)))
                {
                    bag.Error(DiagnosticCodes.InvalidRuleCase, $"case '{c.Name}' of {c.Rule} is named twice in this file", file, line, col, c.Rule);
                    continue;
                }
                all.Add(new LoadedRuleCase(c, file, line, col, basePath));
            }
        }
        return all;
    }
}
