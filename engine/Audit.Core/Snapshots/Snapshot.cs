using System.Text.Json.Serialization;

namespace Audit.Core.Snapshots;

/// <summary>
/// A point-in-time record of host and directory facts (schema/snapshot.v1.schema.json).
/// Immutable once loaded: rule expressions receive these objects and must not be able to change them.
/// </summary>
public sealed record Snapshot
{
    public const string CurrentApiVersion = "audit.hyperv/v1";

    public string ApiVersion { get; init; } = CurrentApiVersion;
    public string Kind { get; init; } = "Snapshot";
    public DateTimeOffset CollectedAt { get; init; }
    public ToolInfo? Collector { get; init; }

    /// <summary>False when collection was interrupted (Ctrl+C, time limit): some hosts may be missing facts.</summary>
    public bool Complete { get; init; } = true;

    public IReadOnlyList<HostFacts> Hosts { get; init; } = [];
    public DirectoryFacts? Directory { get; init; }
}

public sealed record ToolInfo
{
    public string Name { get; init; } = "";
    public string? Version { get; init; }
    public string? Machine { get; init; }
}

/// <summary>Which collector produced a fact family on a host, and whether it succeeded.</summary>
public sealed record CollectionStatus
{
    /// <summary>Collector name, one of <see cref="FactFamilies"/>.</summary>
    public string Collector { get; init; } = "";
    public CollectionState Status { get; init; }
    public string? Message { get; init; }
    /// <summary>Native error code where the source gave one (CIM NativeErrorCode, LDAP result code).</summary>
    public int? ErrorCode { get; init; }
    public double? DurationMs { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<CollectionState>))]
public enum CollectionState
{
    [JsonStringEnumMemberName("ok")] Ok,
    [JsonStringEnumMemberName("error")] Error,
    [JsonStringEnumMemberName("unsupported")] Unsupported,
}

/// <summary>Names of the fact families, one per collector. A fact property names its family with <see cref="CollectedByAttribute"/>.</summary>
public static class FactFamilies
{
    public const string Os = "os";
    public const string Roles = "roles";
    public const string Cluster = "cluster";
    public const string IntegrationServices = "integrationServices";
    public const string Vms = "vms";
    public const string Hotfixes = "hotfixes";
    public const string LiveMigration = "liveMigration";
    public const string Storage = "storage";
    public const string ScheduledTasks = "scheduledTasks";
    public const string Smb = "smb";
    public const string Directory = "directory";

    /// <summary>The families collected from each host, in collection order.</summary>
    public static readonly IReadOnlyList<string> OfHosts =
        [Os, Roles, Cluster, IntegrationServices, Vms, Hotfixes, LiveMigration, Storage, ScheduledTasks, Smb];
}

/// <summary>
/// Marks a fact property as produced by a collector. The rule compiler reads it to find which collectors a rule
/// depends on, so a rule touching a fact whose collection failed yields an error verdict (fail closed) without the
/// rule author having to declare it.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class CollectedByAttribute(string collector) : Attribute
{
    public string Collector { get; } = collector;
}
