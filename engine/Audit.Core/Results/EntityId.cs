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

    // The member (a VM name, a target host) is kept as a range of the key, not as a string of its own: a verdict outlives
    // the snapshot, and a second copy of a hostile 50 MB VM name would stay alive with it.
    private readonly int _memberStart;
    private readonly int _memberLength;

    private EntityId(EntityKind kind, string name, int memberStart, int memberLength, string? vmId, bool standIn, string key)
    {
        Kind = kind;
        Name = name;
        _memberStart = memberStart;
        _memberLength = memberLength;
        VmId = vmId;
        IsStandIn = standIn;
        Key = key;
    }

    private static EntityId Plain(EntityKind kind, string name, bool standIn, string key) => new(kind, name, -1, 0, null, standIn, key);

    /// <summary>The stand-in for the computer accounts when the directory could not be read: <c>(directory)</c>.</summary>
    public static EntityId Directory { get; } = Plain(EntityKind.Directory, "(directory)", standIn: true, "(directory)");

    /// <summary>What it is.</summary>
    public EntityKind Kind { get; }

    /// <summary>The host (host, VM, the source of a pair, the host of a <c>cluster-of:</c> stand-in), the cluster, the account, or <c>(directory)</c>.</summary>
    public string Name { get; }

    /// <summary>The VM name (VM) or the target host (pair); <see cref="Every"/> for a stand-in; null otherwise.</summary>
    public string? Member => _memberStart < 0 ? null : Key.Substring(_memberStart, _memberLength);

    /// <summary>The VM's id when its host has two VMs of that name (it is then part of the key); null otherwise.</summary>
    public string? VmId { get; }

    /// <summary>True when this stands for what could not be expanded (its verdict is an error or not applicable, never a pass).</summary>
    public bool IsStandIn { get; }

    /// <summary>The stable text of this identity in every output.</summary>
    public string Key { get; }

    /// <summary>The host this entity is on or starts from; null for computers, clusters and the directory.</summary>
    public string? HostName => Kind is EntityKind.Host or EntityKind.Vm or EntityKind.HostPair || (Kind == EntityKind.Cluster && IsStandIn) ? Name : null;

    /// <summary>The VM part of a VM key (the name, with the id in brackets when it is part of the key); null for other kinds.</summary>
    public string? VmLabel => Kind == EntityKind.Vm && _memberStart >= 0 ? Key[_memberStart..] : null;

    /// <summary>A host.</summary>
    public static EntityId Host(string name) => Plain(EntityKind.Host, name, standIn: false, name);

    /// <summary>A VM; <paramref name="id"/> only when the host has another VM of the same name.</summary>
    public static EntityId Vm(string host, string vm, string? id = null) =>
        new(EntityKind.Vm, host, host.Length + 1, vm.Length, id, standIn: false, id is null ? $"{host}/{vm}" : $"{host}/{vm} [{id}]");

    /// <summary>Stand-in for the VMs of a host whose VM inventory could not be used.</summary>
    public static EntityId AllVmsOf(string host) => new(EntityKind.Vm, host, host.Length + 1, Every.Length, null, standIn: true, $"{host}/{Every}");

    /// <summary>A migration from <paramref name="source"/> to <paramref name="target"/>.</summary>
    public static EntityId Pair(string source, string target) => new(EntityKind.HostPair, source, source.Length + 2, target.Length, null, standIn: false, $"{source}->{target}");

    /// <summary>Stand-in for the migration partners of a host whose cluster membership could not be collected.</summary>
    public static EntityId AllPairsFrom(string source) => new(EntityKind.HostPair, source, source.Length + 2, Every.Length, null, standIn: true, $"{source}->{Every}");

    /// <summary>A computer account, by sAMAccountName (<c>ZULU$</c>).</summary>
    public static EntityId Computer(string samAccountName) => Plain(EntityKind.Computer, samAccountName, standIn: false, samAccountName);

    /// <summary>A failover cluster.</summary>
    public static EntityId Cluster(string name) => Plain(EntityKind.Cluster, name, standIn: false, name);

    /// <summary>Stand-in for the cluster of a host whose cluster membership could not be collected.</summary>
    public static EntityId ClusterOf(string host) => Plain(EntityKind.Cluster, host, standIn: true, ClusterOfPrefix + host);

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
                    return Plain(EntityKind.Vm, key, standIn: false, key);
                }
                var vmLength = key.Length - slash - 1;
                if (vmLength == Every.Length && key.EndsWith(Every, StringComparison.Ordinal))
                {
                    return new(EntityKind.Vm, key[..slash], slash + 1, vmLength, null, standIn: true, key);
                }
                // "VM [GUID]" is a duplicate-named VM with its id; a VM whose own name ends in brackets keeps them.
                var open = key.LastIndexOf(" [", StringComparison.Ordinal);
                if (open > slash + 1 && key.EndsWith(']') && Guid.TryParse(key.AsSpan(open + 2, key.Length - open - 3), out _))
                {
                    return new(EntityKind.Vm, key[..slash], slash + 1, open - slash - 1, key[(open + 2)..^1], standIn: false, key);
                }
                return new(EntityKind.Vm, key[..slash], slash + 1, vmLength, null, standIn: false, key);
            case Scope.HostPair:
                var arrow = key.IndexOf("->", StringComparison.Ordinal);
                if (arrow <= 0)
                {
                    return Plain(EntityKind.HostPair, key, standIn: false, key);
                }
                var targetLength = key.Length - arrow - 2;
                return new(EntityKind.HostPair, key[..arrow], arrow + 2, targetLength, null, standIn: targetLength == Every.Length && key.EndsWith(Every, StringComparison.Ordinal), key);
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
