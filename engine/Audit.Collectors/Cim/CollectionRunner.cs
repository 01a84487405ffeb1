using System.Diagnostics;
using System.Globalization;
using System.Net;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Cim;

/// <summary>One host to collect, as the inventory names it.</summary>
public sealed record InventoryHost
{
    /// <summary>Host name or FQDN as given (hv1, hv1.lab.test); the snapshot name is its first label in upper case.</summary>
    public required string Name { get; init; }
    /// <summary>Failover cluster declared in the inventory (the host's own answer wins).</summary>
    public string? Cluster { get; init; }
    /// <summary>Migration group for stand-alone hosts that migrate between each other.</summary>
    public string? MigrationGroup { get; init; }
    /// <summary>The machine the tool runs on, through a local session.</summary>
    public bool Local { get; init; }
    /// <summary>This host's own WinRM port (--hosts host:port); null: the run's port. Not part of the host's identity.</summary>
    public int? Port { get; init; }

    /// <summary>Snapshot identity: short upper-case name, FQDN when the inventory gave one (IP addresses kept as given).</summary>
    public HostFacts Identity()
    {
        var name = Name.Trim();
        if (IPAddress.TryParse(name, out _))
        {
            return new HostFacts { Name = name, Cluster = Cluster, MigrationGroup = MigrationGroup };
        }
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return new HostFacts
        {
            Name = (dot > 0 ? name[..dot] : name).ToUpperInvariant(),
            Fqdn = dot > 0 ? name.ToLowerInvariant() : null,
            Domain = dot > 0 ? name[(dot + 1)..].ToLowerInvariant() : null,
            Cluster = Cluster,
            MigrationGroup = MigrationGroup,
        };
    }
}

public sealed record CollectionRunOptions
{
    public int Parallel { get; init; } = 16;
    /// <summary>Whole-host budget: session, every collector, retries.</summary>
    public TimeSpan HostTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Budget of one CIM operation (query or method call) or of opening the session.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Retries of an operation that failed transiently (timeout, unreachable, server busy).</summary>
    public int Retries { get; init; } = 1;
    public CimConnectionOptions Connection { get; init; } = new();
}

/// <summary>Where a run stands, reported after each host.</summary>
public sealed record CollectionProgress(int Total, int Done, int Failed, int InFlight, string Host, bool HostFailed, string Summary);

public sealed record CollectionRunResult(IReadOnlyList<HostFacts> Hosts, bool Complete, TimeSpan Elapsed);

/// <summary>
/// Collects many hosts in parallel: at most <see cref="CollectionRunOptions.Parallel"/> at once, each within its own
/// time limit, each operation within its own, transient failures retried once. A failing or hung host costs no more
/// than its limit and never disturbs the others; every inventory host appears in the result, with a status per
/// collector. Cancellation stops starting hosts and stops running ones between operations; the result is then
/// marked incomplete and still holds every host.
/// </summary>
public sealed class CollectionRunner(ICimSessionFactory factory, HostCollector? hostCollector = null)
{
    private readonly HostCollector _collector = hostCollector ?? new HostCollector();

    public async Task<CollectionRunResult> RunAsync(IReadOnlyList<InventoryHost> hosts, CollectionRunOptions options, IProgress<CollectionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Parallel < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Parallel must be at least 1");
        }
        var watch = Stopwatch.StartNew();
        var results = new HostFacts?[hosts.Count];
        var next = -1;
        int done = 0, failed = 0, inFlight = 0;
        var gate = new object();

        async Task Worker()
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= hosts.Count)
                {
                    return;
                }
                Interlocked.Increment(ref inFlight);
                var facts = await CollectHostAsync(hosts[i], options, cancellationToken).ConfigureAwait(false);
                results[i] = facts;
                var hostFailed = facts.Collection.Any(c => c.Status == CollectionState.Error);
                CollectionProgress report;
                lock (gate)
                {
                    done++;
                    failed += hostFailed ? 1 : 0;
                    inFlight--;
                    report = new CollectionProgress(hosts.Count, done, failed, inFlight, facts.Name, hostFailed, Summarize(facts));
                }
                progress?.Report(report);
            }
        }

        var workers = Enumerable.Range(0, Math.Min(options.Parallel, Math.Max(1, hosts.Count))).Select(_ => Task.Run(Worker, CancellationToken.None)).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);

        var complete = !cancellationToken.IsCancellationRequested;
        var all = new List<HostFacts>(hosts.Count);
        for (var i = 0; i < hosts.Count; i++)
        {
            all.Add(results[i] ?? _collector.Failed(hosts[i].Identity(), "not collected: the collection was cancelled before this host started", null));
        }
        return new CollectionRunResult(all, complete, watch.Elapsed);
    }

    private async Task<HostFacts> CollectHostAsync(InventoryHost host, CollectionRunOptions options, CancellationToken cancellationToken)
    {
        var identity = host.Identity();
        using var hostCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hostCts.CancelAfter(options.HostTimeout);
        var token = hostCts.Token;
        string StopReason() => cancellationToken.IsCancellationRequested
            ? "not collected: the collection was cancelled before this collector finished"
            : $"not collected: the host's time limit of {Seconds(options.HostTimeout)} was reached before this collector finished";

        var connection = host.Local ? options.Connection with { Protocol = CimProtocol.Local }
            : host.Port is { } port ? options.Connection with { Port = port }
            : options.Connection;
        ICimSession? session = null;
        try
        {
            // Opening includes a connection test (as New-CimSession does), so an unreachable host, refused credentials
            // or an untrusted name fail here once, for every collector. Only a busy server is worth a second try:
            // an unreachable host would cost a second connection timeout and say nothing new.
            session = await GuardedCimSession.WithRetryAsync(
                t => OpenAsync(host.Name, connection, t),
                $"opening a session to {host.Name}", options.OperationTimeout, options.Retries, token,
                retryWhen: e => e.Code is CimErrorCode.ServerLimitsExceeded or CimErrorCode.ServerIsShuttingDown).ConfigureAwait(false);
        }
        catch (CimException e)
        {
            return _collector.Failed(identity, e.Fix is null ? e.Message : $"{e.Message} (fix: {e.Fix})", (int)e.Code);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return _collector.Failed(identity, StopReason(), null);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            // Something of the native layer's own (a missing DLL, a type that failed to initialise): this host fails, the run goes on.
            return _collector.Failed(identity, $"cannot open a CIM session to {host.Name}: unexpected {e.GetType().Name}: {e.Message}", (int)CimErrorCode.PlatformNotSupported);
        }

        var guarded = new GuardedCimSession(session, options.OperationTimeout, options.Retries);
        try
        {
            return await _collector.CollectAsync(guarded, identity, token, StopReason).ConfigureAwait(false);
        }
        finally
        {
            if (token.IsCancellationRequested)
            {
                // An operation may still hang inside the session: dispose it in the background, never wait for it.
                _ = Task.Run(session.Dispose, CancellationToken.None);
            }
            else
            {
                session.Dispose();
            }
        }
    }

    private async Task<ICimSession> OpenAsync(string host, CimConnectionOptions connection, CancellationToken cancellationToken)
    {
        var session = await factory.CreateAsync(host, connection, cancellationToken).ConfigureAwait(false);
        try
        {
            await session.TestConnectionAsync(cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static string Summarize(HostFacts facts)
    {
        var ok = facts.Collection.Count(c => c.Status == CollectionState.Ok);
        var errors = facts.Collection.Where(c => c.Status == CollectionState.Error).ToList();
        var unsupported = facts.Collection.Count(c => c.Status == CollectionState.Unsupported);
        var text = $"{ok} ok, {errors.Count} error, {unsupported} unsupported";
        return errors.Count == 0 ? text : $"{text} (first error: {errors[0].Collector}: {errors[0].Message})";
    }

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}

/// <summary>Wraps a session: every operation within the per-operation time limit, transient failures retried.</summary>
public sealed class GuardedCimSession(ICimSession inner, TimeSpan operationTimeout, int retries) : ICimSession
{
    public string ComputerName => inner.ComputerName;

    public TimeProvider Time => inner.Time;

    public Task TestConnectionAsync(CancellationToken cancellationToken) =>
        WithRetryAsync(async t => { await inner.TestConnectionAsync(t).ConfigureAwait(false); return true; }, $"testing the connection to {inner.ComputerName}", operationTimeout, retries, cancellationToken);

    public Task<IReadOnlyList<CimRecord>> QueryAsync(string cimNamespace, string wql, CancellationToken cancellationToken) =>
        WithRetryAsync(t => inner.QueryAsync(cimNamespace, wql, t), $"{cimNamespace}: {wql}", operationTimeout, retries, cancellationToken);

    public Task<CimMethodOutput> InvokeStaticAsync(string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
        WithRetryAsync(t => inner.InvokeStaticAsync(cimNamespace, className, method, arguments, t), $"{cimNamespace}: {className}.{method}", operationTimeout, retries, cancellationToken);

    public Task<CimMethodOutput> InvokeAsync(string cimNamespace, CimRecord instance, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
        WithRetryAsync(t => inner.InvokeAsync(cimNamespace, instance, method, arguments, t), $"{cimNamespace}: {instance.ClassName}.{method}", operationTimeout, retries, cancellationToken);

    /// <summary>
    /// Runs <paramref name="operation"/> within <paramref name="timeout"/>, not waiting for an operation that ignores
    /// cancellation; retries failures <paramref name="retryWhen"/> accepts (default: transient ones) <paramref name="retries"/>
    /// times; throws the last failure.
    /// </summary>
    public static async Task<T> WithRetryAsync<T>(Func<CancellationToken, Task<T>> operation, string what, TimeSpan timeout, int retries, CancellationToken cancellationToken, Func<CimException, bool>? retryWhen = null)
    {
        retryWhen ??= e => e.IsTransient;
        ArgumentNullException.ThrowIfNull(operation);
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var opCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            CimException failure;
            try
            {
                return await operation(opCts.Token).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await opCts.CancelAsync().ConfigureAwait(false);
                failure = new CimException(CimErrorCode.Timeout, $"{what}: no answer within {CollectionRunner.Seconds(timeout)}") { Fix = CimErrorClassifier.FixFor(CimErrorCode.Timeout) };
            }
            catch (CimException e) when (e.IsTransient)
            {
                failure = e;
            }
            if (attempt >= retries || !retryWhen(failure))
            {
                throw attempt == 0 ? failure : new CimException(failure.Code, $"{failure.Message} (after {attempt + 1} attempts)", failure) { Fault = failure.Fault, Cause = failure.Cause, Fix = failure.Fix };
            }
        }
    }

    public void Dispose() => inner.Dispose();
}
