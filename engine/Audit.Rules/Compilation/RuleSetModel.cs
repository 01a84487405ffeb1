using System.Text.Json;

namespace Audit.Rules.Compilation;

/// <summary>A rule set file (schema/ruleset.v1.schema.json), as written by rule authors.</summary>
public sealed record RuleSetDocument
{
    /// <summary>Editor hint pointing at the schema; ignored.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("$schema")]
    public string? Schema { get; init; }

    public string ApiVersion { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Id { get; init; } = "";
    public string Version { get; init; } = "";
    public string Title { get; init; } = "";
    public string? Description { get; init; }
    /// <summary>Tunables with defaults, overridable from the command line; referenced in expressions as <c>params.name</c>.</summary>
    public IReadOnlyDictionary<string, ParameterDefinition> Parameters { get; init; } = new Dictionary<string, ParameterDefinition>();
    /// <summary>Data tables (OS family maps, hotfix catalogs); referenced in expressions as <c>lookups.name</c>.</summary>
    public IReadOnlyDictionary<string, LookupDefinition> Lookups { get; init; } = new Dictionary<string, LookupDefinition>();
    public IReadOnlyList<RuleDefinition> Rules { get; init; } = [];
}

public sealed record ParameterDefinition
{
    /// <summary>boolean, integer, number, string, version, stringList, groups.</summary>
    public string Type { get; init; } = "";
    public JsonElement Default { get; init; }
    public string? Description { get; init; }
    public double? Minimum { get; init; }
    public double? Maximum { get; init; }
}

public sealed record LookupDefinition
{
    /// <summary>map (string -> string), list (strings), table (array of records).</summary>
    public string Kind { get; init; } = "";
    public string? Description { get; init; }
    public string? Source { get; init; }
    public JsonElement Values { get; init; }
}

public sealed record RuleDefinition
{
    public string Id { get; init; } = "";
    public string Title { get; init; } = "";
    public string Severity { get; init; } = "";
    public string Scope { get; init; } = "";
    public string? Description { get; init; }
    public string Rationale { get; init; } = "";
    /// <summary>Named intermediate values, evaluated in order; each can use the inputs and the ones before it.</summary>
    public IReadOnlyDictionary<string, string> Let { get; init; } = new Dictionary<string, string>();
    /// <summary>Applicability conditions checked in order before <see cref="When"/>; the first that is false gives notApplicable with its own message.</summary>
    public IReadOnlyList<Precondition> Preconditions { get; init; } = [];
    public string? When { get; init; }
    public string? NotApplicableMessage { get; init; }
    public string Assert { get; init; } = "";
    public string? Expected { get; init; }
    public string? Actual { get; init; }
    public string Message { get; init; } = "";
    public string? PassMessage { get; init; }
    public string Remediation { get; init; } = "";
    public IReadOnlyList<string> References { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];
}

/// <summary>An applicability condition with the reason given when it does not hold.</summary>
public sealed record Precondition
{
    /// <summary>Boolean expression over the scope's inputs (no lets).</summary>
    public string That { get; init; } = "";
    /// <summary>notApplicable message when false; placeholders {entity}, {host}, {title}.</summary>
    public string Otherwise { get; init; } = "";
}
