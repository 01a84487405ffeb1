using Audit.Collectors.Cim;
using Audit.Collectors.Directory;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Estate;

/// <summary>What one collection gathers: hosts over CIM and/or the directory over LDAP, and what the snapshot says of itself.</summary>
public sealed record EstateRequest
{
    public IReadOnlyList<InventoryHost> Hosts { get; init; } = [];
    /// <summary>Fan-out, time bounds and connection; needed when there are hosts.</summary>
    public CollectionRunOptions? HostOptions { get; init; }
    /// <summary>The directory to read; null: none.</summary>
    public DirectoryCollectorOptions? Directory { get; init; }
    /// <summary>The snapshot's time (a replay keeps the recorded run's).</summary>
    public required DateTimeOffset CollectedAt { get; init; }
    /// <summary>The tool and machine that collected (a replay keeps the recorded machine).</summary>
    public required ToolInfo Collector { get; init; }
}

/// <summary>A collected snapshot and what a summary line and the exit code need to know of it.</summary>
public sealed record CollectedEstate(Snapshot Snapshot, int HostsWithErrors)
{
    /// <summary>The directory was asked for and could not be read.</summary>
    public bool DirectoryFailed => Snapshot.Directory?.Collection.Status == CollectionState.Error;

    /// <summary>Everything asked for was collected, nothing cancelled: exit 0 rather than 2.</summary>
    public bool Clean => Snapshot.Complete && HostsWithErrors == 0 && !DirectoryFailed;

    /// <summary>"N host(s), M with errors; directory D: K computer(s)" for the hosts and directory that were asked for.</summary>
    public string Describe(bool hostsAsked)
    {
        var parts = new List<string>();
        if (hostsAsked)
        {
            parts.Add($"{Snapshot.Hosts.Count} host(s), {HostsWithErrors} with errors");
        }
        if (Snapshot.Directory is { } directory)
        {
            parts.Add(directory.Collection.Status == CollectionState.Ok
                ? $"directory {directory.Domain}: {directory.Computers.Count} computer(s)"
                : $"directory error: {directory.Collection.Message}");
        }
        return string.Join("; ", parts);
    }
}

/// <summary>Collects an estate into one snapshot: the hosts first (in parallel, through <paramref name="sessions"/>), then the
/// directory. A cancelled collection still gives a snapshot, marked incomplete, with what was collected.</summary>
public sealed class EstateCollector(ICimSessionFactory sessions)
{
    public async Task<CollectedEstate> CollectAsync(EstateRequest request, IProgress<CollectionProgress>? progress, CancellationToken cancel)
    {
        IReadOnlyList<HostFacts> hosts = [];
        var complete = true;
        if (request.Hosts.Count > 0)
        {
            var options = request.HostOptions ?? throw new ArgumentException("hosts need HostOptions", nameof(request));
            var result = await new CollectionRunner(sessions).RunAsync(request.Hosts, options, progress, cancel).ConfigureAwait(false);
            hosts = [.. result.Hosts.OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase)];
            complete = result.Complete;
        }

        DirectoryFacts? directory = null;
        if (request.Directory is { } d)
        {
            try
            {
                cancel.ThrowIfCancellationRequested();
                directory = await new LdapDirectoryCollector().CollectAsync(d, cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                complete = false;
                directory = new DirectoryFacts
                {
                    Source = d.SafeSource,
                    Collection = new CollectionStatus { Collector = FactFamilies.Directory, Status = CollectionState.Error, Message = "not collected: the collection was cancelled" },
                };
            }
        }

        var snapshot = new Snapshot
        {
            CollectedAt = request.CollectedAt,
            Collector = request.Collector,
            Complete = complete,
            Hosts = hosts,
            Directory = directory,
        };
        return new CollectedEstate(snapshot, hosts.Count(h => h.Collection.Any(c => c.Status == CollectionState.Error)));
    }
}
