namespace Audit.Core.Results;

/// <summary>The kinds of thing a verdict judges.</summary>
public enum EntityKind
{
    /// <summary>A Hyper-V host (scope host).</summary>
    Host,
    /// <summary>A virtual machine on a host (scope vm).</summary>
    Vm,
    /// <summary>An ordered pair of hosts that may migrate from the first to the second (scope hostPair).</summary>
    HostPair,
    /// <summary>A computer account in Active Directory (scope computer).</summary>
    Computer,
    /// <summary>A failover cluster (scope cluster).</summary>
    Cluster,
    /// <summary>The directory as a whole: stands for the computer accounts when the directory could not be read (scope computer).</summary>
    Directory,
}

/// <summary>
/// The identity of what one verdict judges: its kind and its parts, and <see cref="Key"/>, the stable text results.json,
/// JUnit, the console and waivers use. Keys: <c>ZULU</c> (host), <c>ZULU/VM01</c> (VM; <c>ZULU/VM01 [ID]</c> when a host
/// has two VMs of that name), <c>ZULU->YANKEE</c> (host pair), <c>ZULU$</c> (computer), <c>CLUSTER1</c> (cluster).
/// Stand-ins for what could not be expanded (<see cref="IsStandIn"/>): <c>ZULU/*</c> (the VMs of a host whose VM inventory
/// failed), <c>ZULU->*</c> (the migration partners of a host whose cluster membership failed), <c>cluster-of:ZULU</c>
/// (the cluster of such a host), <c>(directory)</c> (the computer accounts when the directory failed).
/// Built by the factories during evaluation; read back from a key with <see cref="Parse"/> and the verdict's scope,
/// because a host and a cluster are both written as a bare name.
/// </summary>
public sealed class EntityId : IEquatable<EntityId>
{
    /// <summary>The member part of the stand-ins for "every VM" and "every partner".</summary>
    public const string Every = "*";

    private const string ClusterOfPrefix = "cluster-of:";

    private EntityId(EntityKind kind, string name, string? member, string? vmId, bool standIn, string key)
    {
        Kind = kind;
        Name = name;
        Member = member;
        VmId = vmId;
        IsStandIn = standIn;
        Key = key;
    }

    /// <summary>The stand-in for the computer accounts when the directory could not be read: <c>(directory)</c>.</summary>
    public static EntityId Directory { get; } = new(EntityKind.Directory, "(directory)", null, null, standIn: true, "(directory)");

    /// <summary>What it is.</summary>
    public EntityKind Kind { get; }

    /// <summary>The host (host, VM, the source of a pair, the host of a <c>cluster-of:</c> stand-in), the cluster, the account, or <c>(directory)</c>.</summary>
    public string Name { get; }

    /// <summary>The VM name (VM) or the target host (pair); <see cref="Every"/> for a stand-in; null otherwise.</summary>
    public string? Member { get; }

    /// <summary>The VM's id when its host has two VMs of that name (it is then part of the key); null otherwise.</summary>
    public string? VmId { get; }

    /// <summary>True when this stands for what could not be expanded (its verdict is an error or not applicable, never a pass).</summary>
    public bool IsStandIn { get; }

    /// <summary>The stable text of this identity in every output.</summary>
    public string Key { get; }

    /// <summary>The host this entity is on or starts from; null for computers, clusters and the directory.</summary>
    public string? HostName => Kind is EntityKind.Host or EntityKind.Vm or EntityKind.HostPair || (Kind == EntityKind.Cluster && IsStandIn) ? Name : null;

    /// <summary>The VM part of a VM key (the name, with the id in brackets when it is part of the key); null for other kinds.</summary>
    public string? VmLabel => Kind == EntityKind.Vm ? (VmId is null ? Member : $"{Member} [{VmId}]") : null;

    /// <summary>A host.</summary>
    public static EntityId Host(string name) => new(EntityKind.Host, name, null, null, standIn: false, name);

    /// <summary>A VM; <paramref name="id"/> only when the host has another VM of the same name.</summary>
    public static EntityId Vm(string host, string vm, string? id = null) =>
        new(EntityKind.Vm, host, vm, id, standIn: false, id is null ? $"{host}/{vm}" : $"{host}/{vm} [{id}]");

    /// <summary>Stand-in for the VMs of a host whose VM inventory could not be used.</summary>
    public static EntityId AllVmsOf(string host) => new(EntityKind.Vm, host, Every, null, standIn: true, $"{host}/{Every}");

    /// <summary>A migration from <paramref name="source"/> to <paramref name="target"/>.</summary>
    public static EntityId Pair(string source, string target) => new(EntityKind.HostPair, source, target, null, standIn: false, $"{source}->{target}");

    /// <summary>Stand-in for the migration partners of a host whose cluster membership could not be collected.</summary>
    public static EntityId AllPairsFrom(string source) => new(EntityKind.HostPair, source, Every, null, standIn: true, $"{source}->{Every}");

    /// <summary>A computer account, by sAMAccountName (<c>ZULU$</c>).</summary>
    public static EntityId Computer(string samAccountName) => new(EntityKind.Computer, samAccountName, null, null, standIn: false, samAccountName);

    /// <summary>A failover cluster.</summary>
    public static EntityId Cluster(string name) => new(EntityKind.Cluster, name, null, null, standIn: false, name);

    /// <summary>Stand-in for the cluster of a host whose cluster membership could not be collected.</summary>
    public static EntityId ClusterOf(string host) => new(EntityKind.Cluster, host, null, null, standIn: true, ClusterOfPrefix + host);

    /// <summary>
    /// Reads a key written by an earlier run (results.json) back into an identity; the verdict's scope says what a bare
    /// name is. Host names never contain <c>/</c>, <c>-></c> or <c>:</c>, so the first of these separates the parts.
    /// </summary>
    public static EntityId Parse(string key, Scope scope)
    {
        ArgumentNullException.ThrowIfNull(key);
        switch (scope)
        {
            case Scope.Vm:
                var slash = key.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0)
                {
                    return new(EntityKind.Vm, key, null, null, standIn: false, key);
                }
                var host = key[..slash];
                var vm = key[(slash + 1)..];
                if (vm == Every)
                {
                    return AllVmsOf(host);
                }
                // "VM [GUID]" is a duplicate-named VM with its id; a VM whose own name ends in brackets keeps them.
                var open = vm.LastIndexOf(" [", StringComparison.Ordinal);
                if (open > 0 && vm.EndsWith(']') && Guid.TryParse(vm.AsSpan(open + 2, vm.Length - open - 3), out _))
                {
                    return new(EntityKind.Vm, host, vm[..open], vm[(open + 2)..^1], standIn: false, key);
                }
                return new(EntityKind.Vm, host, vm, null, standIn: false, key);
            case Scope.HostPair:
                var arrow = key.IndexOf("->", StringComparison.Ordinal);
                if (arrow <= 0)
                {
                    return new(EntityKind.HostPair, key, null, null, standIn: false, key);
                }
                var target = key[(arrow + 2)..];
                return new(EntityKind.HostPair, key[..arrow], target, null, standIn: target == Every, key);
            case Scope.Computer:
                return key == Directory.Key ? Directory : Computer(key);
            case Scope.Cluster:
                return key.StartsWith(ClusterOfPrefix, StringComparison.Ordinal) ? ClusterOf(key[ClusterOfPrefix.Length..]) : Cluster(key);
            default:
                return Host(key);
        }
    }

    /// <inheritdoc/>
    public bool Equals(EntityId? other) => other is not null && Kind == other.Kind && string.Equals(Key, other.Key, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as EntityId);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, StringComparer.Ordinal.GetHashCode(Key));

    /// <summary>The key.</summary>
    public override string ToString() => Key;
}
