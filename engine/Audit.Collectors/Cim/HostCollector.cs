using Audit.Core.Snapshots;

namespace Audit.Collectors.Cim;

/// <summary>
/// Runs every fact collector against one host's session and records one <see cref="CollectionStatus"/> per collector:
/// ok (with notes), unsupported (with the reason) or error (with the CIM code and message). A failing collector never
/// stops the others; the host is never dropped.
/// </summary>
public sealed class HostCollector(IReadOnlyList<IHostFactCollector> collectors)
{
    /// <summary>The collectors in the order of <see cref="FactFamilies.OfHosts"/>.</summary>
    public static IReadOnlyList<IHostFactCollector> All { get; } =
    [
        new OsCollector(), new RolesCollector(), new ClusterCollector(), new IntegrationServicesCollector(), new VmCollector(),
        new HotfixCollector(), new LiveMigrationCollector(), new StorageCollector(), new ScheduledTaskCollector(), new SmbCollector(),
    ];

    public HostCollector() : this(All)
    {
    }

    public IReadOnlyList<IHostFactCollector> Collectors { get; } = collectors;

    /// <summary>
    /// Collects into <paramref name="identity"/>. When <paramref name="cancellationToken"/> fires (host timeout or
    /// Ctrl+C) the collectors not yet finished are recorded as errors with <paramref name="stopReason"/>'s text.
    /// </summary>
    public async Task<HostFacts> CollectAsync(ICimSession session, HostFacts identity, CancellationToken cancellationToken, Func<string>? stopReason = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(identity);
        var facts = identity;
        var statuses = new List<CollectionStatus>();
        var context = new HostCollectionContext(session, cancellationToken);
        // A session of someone else's (a mock) may not say which clock it keeps: then the system's.
        var time = (TimeProvider?)session.Time ?? TimeProvider.System;
        foreach (var collector in Collectors)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                statuses.Add(Stopped(collector.Name, stopReason, 0));
                continue;
            }
            context.ClearNotes();
            var watch = time.GetTimestamp();
            try
            {
                facts = await collector.CollectAsync(context, facts).ConfigureAwait(false);
                statuses.Add(new CollectionStatus
                {
                    Collector = collector.Name,
                    Status = CollectionState.Ok,
                    Message = context.Notes.Count == 0 ? null : string.Join("; ", context.Notes),
                    DurationMs = Ms(time, watch),
                });
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                statuses.Add(Stopped(collector.Name, stopReason, Ms(time, watch)));
            }
            catch (FactCollectionException e)
            {
                statuses.Add(new CollectionStatus { Collector = collector.Name, Status = e.State, Message = e.Message, ErrorCode = e.ErrorCode, DurationMs = Ms(time, watch) });
            }
            catch (CimException e)
            {
                statuses.Add(new CollectionStatus
                {
                    Collector = collector.Name,
                    Status = e.MeansAbsent ? CollectionState.Unsupported : CollectionState.Error,
                    Message = e.Fix is null || e.MeansAbsent ? e.Message : $"{e.Message} (fix: {e.Fix})",
                    ErrorCode = (int)e.Code,
                    DurationMs = Ms(time, watch),
                });
            }
            catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
            {
                // A bug or an answer shaped unlike anything seen: this family is an error, the host and the other families stay.
                statuses.Add(new CollectionStatus { Collector = collector.Name, Status = CollectionState.Error, Message = $"unexpected {e.GetType().Name}: {e.Message}", DurationMs = Ms(time, watch) });
            }
        }
        return facts with { Collection = [.. identity.Collection, .. statuses] };
    }

    /// <summary>Every collector recorded as an error with one reason (host unreachable, no session, cancelled before start).</summary>
    public HostFacts Failed(HostFacts identity, string message, int? errorCode) =>
        identity with
        {
            Collection = [.. Collectors.Select(c => new CollectionStatus { Collector = c.Name, Status = CollectionState.Error, Message = message, ErrorCode = errorCode })],
        };

    private static CollectionStatus Stopped(string name, Func<string>? reason, double ms) =>
        new() { Collector = name, Status = CollectionState.Error, Message = reason?.Invoke() ?? "collection stopped before this collector finished", DurationMs = ms };

    private static double Ms(TimeProvider time, long start) => Math.Round(time.GetElapsedTime(start).TotalMilliseconds, 1);
}
