namespace Audit.Rules;

/// <summary>How a host pair of hostPair-scope rules was formed: nodes of one cluster, and/or declared as migration partners.</summary>
public sealed record HostPairFacts
{
    /// <summary>The failover cluster both hosts are nodes of, or null.</summary>
    public string? Cluster { get; init; }

    /// <summary>True when the pair was declared as migration partners: an inventory migration group or the migrationGroups parameter.</summary>
    public bool Declared { get; init; }

    /// <summary>Where the pairing came from, for evidence: "cluster HVCLU1", "inventory group G", "migrationGroups[0]".</summary>
    public IReadOnlyList<string> Origins { get; init; } = [];
}
