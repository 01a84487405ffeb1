using Audit.Core.Loading;

namespace Audit.Core.Snapshots;

/// <summary>
/// Joins snapshots collected separately (per site, per scheduler job) into one estate. A host present in two inputs
/// is reported (AUD0040, with both places) and never silently overwritten. Directory sections: one is kept as is; two
/// of the same domain are joined by distinguished name (identical duplicates collapse, differing ones are AUD0042); a
/// failed directory collection gives way to a successful one of the same domain; different domains are AUD0042.
/// collectedAt is the latest input's (ages computed from it are never understated); complete only when every input is.
/// </summary>
public static class SnapshotMerger
{
    public static Snapshot Merge(IReadOnlyList<LoadedJson<Snapshot>> inputs, ToolInfo? collector = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
        {
            throw new ArgumentException("nothing to merge", nameof(inputs));
        }
        var bag = new DiagnosticBag();
        var hosts = new List<HostFacts>();
        var seen = new Dictionary<string, (LoadedJson<Snapshot> Input, int Index)>(StringComparer.OrdinalIgnoreCase);
        foreach (var input in inputs)
        {
            for (var i = 0; i < input.Value.Hosts.Count; i++)
            {
                var host = input.Value.Hosts[i];
                if (seen.TryGetValue(host.Name, out var first))
                {
                    var (fl, fc) = first.Input.Positions.Position($"hosts[{first.Index}].name");
                    var (l, c) = input.Positions.Position($"hosts[{i}].name");
                    bag.Error(DiagnosticCodes.DuplicateHost,
                        $"host '{host.Name}' is in more than one snapshot (also {first.Input.DisplayPath}({fl},{fc})); collect each host once, or drop one of the snapshots",
                        input.DisplayPath, l, c);
                    continue;
                }
                seen[host.Name] = (input, i);
                hosts.Add(host);
            }
        }
        var directory = MergeDirectories(inputs, bag);
        if (bag.HasErrors)
        {
            throw new InputException(bag.Sorted());
        }
        var machines = inputs.Select(i => i.Value.Collector?.Machine).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return new Snapshot
        {
            CollectedAt = inputs.Max(i => i.Value.CollectedAt),
            Collector = collector is null ? null : collector with { Machine = machines.Count == 0 ? collector.Machine : string.Join(", ", machines) },
            Complete = inputs.All(i => i.Value.Complete),
            Hosts = [.. hosts.OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase)],
            Directory = directory,
        };
    }

    private static DirectoryFacts? MergeDirectories(IReadOnlyList<LoadedJson<Snapshot>> inputs, DiagnosticBag bag)
    {
        var withDirectory = inputs.Where(i => i.Value.Directory is not null).ToList();
        if (withDirectory.Count == 0)
        {
            return null;
        }
        var first = withDirectory[0];
        var merged = first.Value.Directory!;
        foreach (var other in withDirectory.Skip(1))
        {
            var d = other.Value.Directory!;
            var domainA = merged.Domain ?? merged.BaseDn;
            var domainB = d.Domain ?? d.BaseDn;
            if (!string.Equals(domainA, domainB, StringComparison.OrdinalIgnoreCase))
            {
                var (l, c) = other.Positions.Position("directory");
                bag.Error(DiagnosticCodes.DirectoryConflict, $"directory of domain '{domainB}' cannot join directory of domain '{domainA}' from {first.DisplayPath}: a snapshot holds one domain", other.DisplayPath, l, c);
                continue;
            }
            var okA = merged.Collection.Status == CollectionState.Ok;
            var okB = d.Collection.Status == CollectionState.Ok;
            if (okA != okB)
            {
                merged = okA ? merged : d; // a successful read of the domain beats a failed one
                continue;
            }
            if (!okA)
            {
                continue; // both failed: keep the first failure
            }
            var byDn = merged.Computers.ToDictionary(x => x.DistinguishedName, StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < d.Computers.Count; i++)
            {
                var computer = d.Computers[i];
                if (byDn.TryGetValue(computer.DistinguishedName, out var existing))
                {
                    if (!Same(existing, computer))
                    {
                        var (l, c) = other.Positions.Position($"directory.computers[{i}]");
                        bag.Error(DiagnosticCodes.DirectoryConflict, $"computer '{computer.DistinguishedName}' differs from the one in {first.DisplayPath}: collect the directory once, or drop one snapshot's directory", other.DisplayPath, l, c);
                    }
                    continue;
                }
                byDn[computer.DistinguishedName] = computer;
            }
            var groups = merged.Groups.Concat(d.Groups).GroupBy(g => g.DistinguishedName, StringComparer.OrdinalIgnoreCase).Select(g => g.First());
            merged = merged with
            {
                Computers = [.. byDn.Values.OrderBy(x => x.DistinguishedName, StringComparer.OrdinalIgnoreCase)],
                Groups = [.. groups.OrderBy(g => g.DistinguishedName, StringComparer.OrdinalIgnoreCase)],
            };
        }
        return merged;
    }

    private static bool Same(ComputerFacts a, ComputerFacts b) =>
        a.SamAccountName == b.SamAccountName && a.DnsHostName == b.DnsHostName && a.UserAccountControl == b.UserAccountControl
        && a.AllowedToDelegateTo.SequenceEqual(b.AllowedToDelegateTo, StringComparer.OrdinalIgnoreCase)
        && a.ServicePrincipalNames.SequenceEqual(b.ServicePrincipalNames, StringComparer.OrdinalIgnoreCase)
        && a.HasResourceBasedDelegation == b.HasResourceBasedDelegation
        && a.ResourceBasedDelegationSids.SequenceEqual(b.ResourceBasedDelegationSids, StringComparer.OrdinalIgnoreCase);
}
