using Audit.Core.Results;

namespace Audit.Rules.Waivers;

/// <summary>A waivers file (schema/waivers.v1.schema.json).</summary>
internal sealed record WaiversDocument
{
    [System.Text.Json.Serialization.JsonPropertyName("$schema")]
    public string? Schema { get; init; }
    public string? ApiVersion { get; init; }
    public string? Kind { get; init; }
    public IReadOnlyList<WaiverDefinition> Waivers { get; init; } = [];
}

/// <summary>One accepted exception as written in the file.</summary>
public sealed record WaiverDefinition
{
    public string Rule { get; init; } = "";
    public string Entity { get; init; } = "";
    public string Justification { get; init; } = "";
    public string Owner { get; init; } = "";
    public string? Ticket { get; init; }
    /// <summary>yyyy-mm-dd, the last day the waiver applies (checked by the loader, which reports an impossible date with its position).</summary>
    public string Expires { get; init; } = "";
    public IReadOnlyList<string>? Severities { get; init; }
}

/// <summary>A waiver after loading: parsed date, severities and entity pattern, with its place in the file.</summary>
public sealed class LoadedWaiver
{
    public required int Index { get; init; }
    public required int Line { get; init; }
    public required int Column { get; init; }
    public required WaiverDefinition Definition { get; init; }
    public required DateOnly Expires { get; init; }
    /// <summary>Null: any severity.</summary>
    public IReadOnlySet<Severity>? Severities { get; init; }
    public required EntityPattern Entity { get; init; }

    public bool AppliesToRule(string ruleId, Severity severity) =>
        Glob.IsMatch(Definition.Rule, ruleId) && (Severities is null || Severities.Contains(severity));

    public WaiverRef ToRef(bool expired) => new()
    {
        Rule = Definition.Rule,
        Entity = Definition.Entity,
        Justification = Definition.Justification,
        Owner = Definition.Owner,
        Ticket = Definition.Ticket,
        Expires = Expires,
        Expired = expired,
    };

    public override string ToString() => $"waiver for {Definition.Rule} '{Definition.Entity}'";
}

/// <summary>A loaded waivers file.</summary>
public sealed record WaiverSet(IReadOnlyList<LoadedWaiver> Waivers, WaiversFileRef File)
{
    public string DisplayPath => File.Path;
}
