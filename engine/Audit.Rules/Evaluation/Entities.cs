using System.Runtime.CompilerServices;
using Audit.Rules.Compilation;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Rules.Evaluation;

/// <summary>Something whose collection statuses a rule's dependencies are checked against: a host or the directory.</summary>
internal abstract class StatusOwner
{
    public abstract string Name { get; }

    public abstract CollectionStatus? Status(string collector);
}

internal sealed class HostOwner(HostFacts host) : StatusOwner
{
    public override string Name => host.Name;

    public override CollectionStatus? Status(string collector)
    {
        foreach (var c in host.Collection)
        {
            if (string.Equals(c.Collector, collector, StringComparison.Ordinal))
            {
                return c;
            }
        }
        return null;
    }
}

internal sealed class DirectoryOwner(DirectoryFacts? directory) : StatusOwner
{
    public override string Name => "the directory";

    public override CollectionStatus? Status(string collector) => directory?.Collection;
}

/// <summary>One thing a rule is evaluated against: its identity, input values and where their facts came from.</summary>
internal sealed class Entity
{
    public required EntityId Id { get; init; }
    public string? Host { get; init; }
    public IReadOnlyDictionary<string, object?> Values { get; init; } = new Dictionary<string, object?>();
    public IReadOnlyDictionary<string, IReadOnlyList<StatusOwner>> Owners { get; init; } = new Dictionary<string, IReadOnlyList<StatusOwner>>();
    public IReadOnlyList<StatusOwner> AllOwners { get; init; } = [];

    /// <summary>Set for pseudo-entities standing for what could not be expanded (VMs of a host whose inventory failed): the fixed outcome, why, and how to fix the collection (errors).</summary>
    public (Outcome Outcome, string Message, string? Remediation)? Blocked { get; init; }
}

/// <summary>Expands a snapshot into the entities of each scope, fail-closed: what cannot be expanded becomes a blocked entity, never nothing.</summary>
internal sealed class EntityExpander(Snapshot snapshot)
{
    private readonly DirectoryOwner _directory = new(snapshot.Directory);
    private readonly Dictionary<Scope, IReadOnlyList<Entity>> _cache = [];
    private readonly Dictionary<string, IReadOnlyList<Entity>> _pairCache = new(StringComparer.Ordinal);

    private static readonly StringComparer KeyOrder = StringComparer.OrdinalIgnoreCase;

    public IReadOnlyList<Entity> For(Scope scope, LoadedRuleSet set)
    {
        if (scope == Scope.HostPair)
        {
            lock (_pairCache)
            {
                if (!_pairCache.TryGetValue(set.Document.Id, out var pairs))
                {
                    pairs = Pairs(set);
                    _pairCache[set.Document.Id] = pairs;
                }
                return pairs;
            }
        }
        lock (_cache)
        {
            if (!_cache.TryGetValue(scope, out var list))
            {
                list = scope switch
                {
                    Scope.Host => Hosts(),
                    Scope.Vm => Vms(),
                    Scope.Computer => Computers(),
                    Scope.Cluster => Clusters(),
                    _ => throw new ArgumentOutOfRangeException(nameof(scope)),
                };
                _cache[scope] = list;
            }
            return list;
        }
    }

    private static IReadOnlyList<Entity> Sorted(IEnumerable<Entity> e) => [.. e.OrderBy(x => x.Id.Key, KeyOrder).ThenBy(x => x.Id.Key, StringComparer.Ordinal)];

    private IReadOnlyList<Entity> Hosts() => Sorted(snapshot.Hosts.Select(h =>
    {
        var owner = new HostOwner(h);
        return new Entity
        {
            Id = EntityId.Host(h.Name),
            Host = h.Name,
            Values = new Dictionary<string, object?> { ["host"] = h },
            Owners = new Dictionary<string, IReadOnlyList<StatusOwner>> { ["host"] = [owner] },
            AllOwners = [owner],
        };
    }));

    private IReadOnlyList<Entity> Vms()
    {
        var list = new List<Entity>();
        foreach (var h in snapshot.Hosts)
        {
            var owner = new HostOwner(h);
            var status = owner.Status(FactFamilies.Vms);
            if (status is null || status.Status != CollectionState.Ok || h.Vms is null)
            {
                list.Add(new Entity { Id = EntityId.AllVmsOf(h.Name), Host = h.Name, Blocked = Block(status, FactFamilies.Vms, h.Name, "VM inventory") });
                continue;
            }
            var dupes = h.Vms.GroupBy(v => v.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var vm in h.Vms)
            {
                list.Add(new Entity
                {
                    Id = EntityId.Vm(h.Name, vm.Name, dupes.Contains(vm.Name) ? vm.Id : null),
                    Host = h.Name,
                    Values = new Dictionary<string, object?> { ["vm"] = vm, ["host"] = h },
                    Owners = new Dictionary<string, IReadOnlyList<StatusOwner>> { ["vm"] = [owner], ["host"] = [owner] },
                    AllOwners = [owner],
                });
            }
        }
        return Sorted(list);
    }

    private IReadOnlyList<Entity> Computers()
    {
        var dir = snapshot.Directory;
        if (dir is null || dir.Collection.Status != CollectionState.Ok)
        {
            return [new Entity { Id = EntityId.Directory, Blocked = Block(dir?.Collection, FactFamilies.Directory, "the directory", "Directory facts") }];
        }
        var hostsByName = snapshot.Hosts.ToDictionary(h => h.Name, StringComparer.OrdinalIgnoreCase);
        return Sorted(dir.Computers.Select(c =>
        {
            hostsByName.TryGetValue(c.SamAccountName.TrimEnd('$'), out var host);
            var owners = new List<StatusOwner> { _directory };
            if (host is not null)
            {
                owners.Add(new HostOwner(host));
            }
            return new Entity
            {
                Id = EntityId.Computer(c.SamAccountName),
                Host = host?.Name,
                Values = new Dictionary<string, object?> { ["computer"] = c, ["directory"] = dir, ["host"] = host },
                Owners = new Dictionary<string, IReadOnlyList<StatusOwner>>
                {
                    ["computer"] = [_directory],
                    ["directory"] = [_directory],
                    ["host"] = host is null ? [] : [new HostOwner(host)],
                },
                AllOwners = owners,
            };
        }));
    }

    private IReadOnlyList<Entity> Clusters()
    {
        var list = new List<Entity>();
        foreach (var h in snapshot.Hosts)
        {
            var st = new HostOwner(h).Status(FactFamilies.Cluster);
            if (st is null || st.Status == CollectionState.Error)
            {
                list.Add(new Entity { Id = EntityId.ClusterOf(h.Name), Host = h.Name, Blocked = Block(st, FactFamilies.Cluster, h.Name, "Cluster membership") });
            }
        }
        foreach (var g in snapshot.Hosts.Where(h => !string.IsNullOrWhiteSpace(h.Cluster)).GroupBy(h => h.Cluster!, StringComparer.OrdinalIgnoreCase))
        {
            var nodes = g.OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToList();
            var owners = nodes.Select(n => (StatusOwner)new HostOwner(n)).ToList();
            list.Add(new Entity
            {
                Id = EntityId.Cluster(g.Key),
                Values = new Dictionary<string, object?> { ["cluster"] = new ClusterFacts { Name = g.Key, Nodes = nodes } },
                Owners = new Dictionary<string, IReadOnlyList<StatusOwner>> { ["cluster"] = owners },
                AllOwners = owners,
            });
        }
        return Sorted(list);
    }

    /// <summary>Ordered pairs of hosts that may migrate between each other: same cluster, same inventory migration group, or listed together in the rule set's migrationGroups parameter.</summary>
    private IReadOnlyList<Entity> Pairs(LoadedRuleSet set)
    {
        var list = new List<Entity>();
        // Group key -> members; the key says where the pairing comes from ("cluster:", "group:", "param:").
        var groups = new Dictionary<string, List<HostFacts>>(StringComparer.OrdinalIgnoreCase);
        void AddTo(string group, HostFacts h)
        {
            if (!groups.TryGetValue(group, out var members))
            {
                groups[group] = members = [];
            }
            if (!members.Contains(h))
            {
                members.Add(h);
            }
        }
        var byName = snapshot.Hosts.ToDictionary(h => h.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var h in snapshot.Hosts)
        {
            var st = new HostOwner(h).Status(FactFamilies.Cluster);
            if ((st is null || st.Status == CollectionState.Error) && string.IsNullOrWhiteSpace(h.MigrationGroup))
            {
                list.Add(new Entity { Id = EntityId.AllPairsFrom(h.Name), Host = h.Name, Blocked = Block(st, FactFamilies.Cluster, h.Name, "Cluster membership (needed to know its migration partners)") });
            }
            if (!string.IsNullOrWhiteSpace(h.Cluster))
            {
                AddTo("cluster:" + h.Cluster, h);
            }
            if (!string.IsNullOrWhiteSpace(h.MigrationGroup))
            {
                AddTo("group:" + h.MigrationGroup, h);
            }
        }
        if (set.ParameterValues.TryGetValue(ScopeInputs.MigrationGroups, out var declared) && declared is IReadOnlyList<IReadOnlyList<string>> declaredGroups)
        {
            for (var i = 0; i < declaredGroups.Count; i++)
            {
                foreach (var name in declaredGroups[i])
                {
                    if (byName.TryGetValue(name, out var h))
                    {
                        AddTo($"param:{i}", h);
                    }
                }
            }
        }
        // Each ordered pair once, with every origin that pairs it (a cluster, declared groups).
        var origins = new Dictionary<(HostFacts A, HostFacts B), List<string>>(PairComparer.Instance);
        var order = new List<(HostFacts A, HostFacts B)>();
        foreach (var (key, members) in groups)
        {
            var origin = key.StartsWith("cluster:", StringComparison.Ordinal) ? "cluster " + key["cluster:".Length..]
                : key.StartsWith("group:", StringComparison.Ordinal) ? "inventory group " + key["group:".Length..]
                : ScopeInputs.MigrationGroups + "[" + key["param:".Length..] + "]";
            foreach (var a in members)
            {
                foreach (var b in members)
                {
                    if (ReferenceEquals(a, b))
                    {
                        continue;
                    }
                    if (!origins.TryGetValue((a, b), out var o))
                    {
                        origins[(a, b)] = o = [];
                        order.Add((a, b));
                    }
                    o.Add(origin);
                }
            }
        }
        var computers = snapshot.Directory?.Computers ?? [];
        // Each host's account is found once (not once per pair: that would grow with pairs x computers).
        var accounts = new Dictionary<HostFacts, ComputerFacts?>(ReferenceEqualityComparer.Instance);
        var accountIndex = AccountIndex.Build(computers);
        ComputerFacts? Account(HostFacts h)
        {
            if (!accounts.TryGetValue(h, out var c))
            {
                accounts[h] = c = accountIndex.Find(h);
            }
            return c;
        }
        foreach (var (a, b) in order)
        {
            var from = origins[(a, b)];
            var cluster = !string.IsNullOrWhiteSpace(a.Cluster) && string.Equals(a.Cluster, b.Cluster, StringComparison.OrdinalIgnoreCase) ? a.Cluster : null;
            var ao = new HostOwner(a);
            var bo = new HostOwner(b);
            list.Add(new Entity
            {
                Id = EntityId.Pair(a.Name, b.Name),
                Host = a.Name,
                Values = new Dictionary<string, object?>
                {
                    ["source"] = a,
                    ["target"] = b,
                    ["sourceAccount"] = Account(a),
                    ["targetAccount"] = Account(b),
                    ["pair"] = new HostPairFacts { Cluster = cluster, Declared = from.Exists(o => !o.StartsWith("cluster ", StringComparison.Ordinal)), Origins = [.. from.Order(StringComparer.Ordinal)] },
                    ["directory"] = snapshot.Directory,
                },
                Owners = new Dictionary<string, IReadOnlyList<StatusOwner>>
                {
                    ["source"] = [ao],
                    ["target"] = [bo],
                    ["sourceAccount"] = [_directory],
                    ["targetAccount"] = [_directory],
                    ["pair"] = [],
                    ["directory"] = [_directory],
                },
                AllOwners = [ao, bo, _directory],
            });
        }
        return Sorted(list);
    }

    /// <summary>Pairs of hosts compared by reference (hashing whole host records would walk their VMs).</summary>
    private sealed class PairComparer : IEqualityComparer<(HostFacts A, HostFacts B)>
    {
        public static readonly PairComparer Instance = new();

        public bool Equals((HostFacts A, HostFacts B) x, (HostFacts A, HostFacts B) y) => ReferenceEquals(x.A, y.A) && ReferenceEquals(x.B, y.B);

        public int GetHashCode((HostFacts A, HostFacts B) p) => HashCode.Combine(RuntimeHelpers.GetHashCode(p.A), RuntimeHelpers.GetHashCode(p.B));
    }

    /// <summary>Computer accounts by sAMAccountName and DNS name (case-insensitive), first one winning as in a linear search.</summary>
    internal sealed class AccountIndex
    {
        private readonly Dictionary<string, ComputerFacts> _bySam = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, ComputerFacts> _byDns = new(StringComparer.OrdinalIgnoreCase);

        public static AccountIndex Build(IReadOnlyList<ComputerFacts> computers)
        {
            var index = new AccountIndex();
            foreach (var c in computers)
            {
                index._bySam.TryAdd(c.SamAccountName, c);
                if (c.DnsHostName is not null)
                {
                    index._byDns.TryAdd(c.DnsHostName, c);
                }
            }
            return index;
        }

        public ComputerFacts? Find(HostFacts host) =>
            _bySam.GetValueOrDefault(host.Name + "$") ?? (host.Fqdn is null ? null : _byDns.GetValueOrDefault(host.Fqdn));
    }

    private static (Outcome, string, string?) Block(CollectionStatus? status, string collector, string owner, string what) => status switch
    {
        null => (Outcome.Error, $"{what} of {owner} was not collected (no '{collector}' collection record); cannot evaluate", CollectionRemediation.For(collector, owner, null)),
        { Status: CollectionState.Unsupported } => (Outcome.NotApplicable, $"{what} is not supported on {owner}: {status.Message ?? "unsupported"}", null),
        { Status: CollectionState.Error } => (Outcome.Error, $"{what} of {owner} could not be collected: {status.Message ?? "error"}", CollectionRemediation.For(collector, owner, status)),
        _ => (Outcome.Error, $"{what} of {owner} is missing although its collection reported ok", CollectionRemediation.For(collector, owner, null)),
    };
}
