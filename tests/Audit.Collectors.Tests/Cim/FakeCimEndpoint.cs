using System.Collections.Concurrent;
using Audit.Collectors.Cim;
using Audit.Collectors.Recording;

namespace Audit.Collectors.Tests.Cim;

/// <summary>
/// A fake CIM endpoint for fan-out tests and measurements: every host answers from one recording (replayed by the
/// engine's <see cref="ReplayCimSessionFactory"/>, a fresh replay per host) after a configurable latency per
/// operation; chosen hosts hang (ignoring cancellation, like a stuck WinRM call), refuse sessions, or fail transiently
/// once. Counts sessions open at the same time.
/// </summary>
public sealed class FakeCimEndpoint(CimRecordingDocument recording, TimeSpan latency) : ICimSessionFactory
{
    private readonly TimeSpan _latency = latency;
    private int _open;
    private int _maxOpen;
    private readonly ConcurrentDictionary<string, int> _createAttempts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _queryAttempts = new(StringComparer.OrdinalIgnoreCase);

    public HashSet<string> Hung { get; } = new(StringComparer.OrdinalIgnoreCase);
    public HashSet<string> Unreachable { get; } = new(StringComparer.OrdinalIgnoreCase);
    public HashSet<string> FlakyOnce { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>host -> WQL text that never answers on that host.</summary>
    public Dictionary<string, string> HungQuery { get; } = new(StringComparer.OrdinalIgnoreCase);

    public int MaxConcurrentSessions => Volatile.Read(ref _maxOpen);
    public int OpenSessions => Volatile.Read(ref _open);
    public int CreateAttempts(string host) => _createAttempts.GetValueOrDefault(host);
    public int QueryAttempts(string host) => _queryAttempts.GetValueOrDefault(host);

    public async Task<ICimSession> CreateAsync(string computerName, CimConnectionOptions options, CancellationToken cancellationToken)
    {
        _createAttempts.AddOrUpdate(computerName, 1, (_, n) => n + 1);
        await Task.Delay(_latency, cancellationToken);
        if (Unreachable.Contains(computerName))
        {
            throw new CimException(CimErrorCode.Unreachable, $"cannot open a CIM session to {computerName}: WinRM cannot complete the operation");
        }
        var replay = new ReplayCimSessionFactory([recording with { Host = recording.Host with { Name = computerName } }]);
        var inner = await replay.CreateAsync(computerName, options, cancellationToken);
        var open = Interlocked.Increment(ref _open);
        int max;
        while (open > (max = Volatile.Read(ref _maxOpen)) && Interlocked.CompareExchange(ref _maxOpen, open, max) != max)
        {
        }
        return new Session(this, computerName, inner);
    }

    private sealed class Session(FakeCimEndpoint endpoint, string host, ICimSession inner) : ICimSession
    {
        private static readonly Task Never = new TaskCompletionSource().Task;
        private int _disposed;

        public string ComputerName => host;

        private async Task BeforeAsync(string? wql, CancellationToken cancellationToken)
        {
            if (endpoint.Hung.Contains(host) || (wql is not null && endpoint.HungQuery.TryGetValue(host, out var q) && q == wql))
            {
                await Never; // ignores cancellation on purpose
            }
            await Task.Delay(endpoint._latency, cancellationToken);
            if (wql is not null && endpoint._queryAttempts.AddOrUpdate(host, 1, (_, n) => n + 1) == 1 && endpoint.FlakyOnce.Contains(host))
            {
                throw new CimException(CimErrorCode.ServerLimitsExceeded, $"{host}: server limits exceeded");
            }
        }

        public async Task TestConnectionAsync(CancellationToken cancellationToken)
        {
            await BeforeAsync(null, cancellationToken);
            await inner.TestConnectionAsync(cancellationToken);
        }

        public async Task<IReadOnlyList<CimRecord>> QueryAsync(string cimNamespace, string wql, CancellationToken cancellationToken)
        {
            await BeforeAsync(wql, cancellationToken);
            return await inner.QueryAsync(cimNamespace, wql, cancellationToken);
        }

        public async Task<CimMethodOutput> InvokeStaticAsync(string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
        {
            await BeforeAsync(null, cancellationToken);
            return await inner.InvokeStaticAsync(cimNamespace, className, method, arguments, cancellationToken);
        }

        public async Task<CimMethodOutput> InvokeAsync(string cimNamespace, CimRecord instance, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
        {
            await BeforeAsync(null, cancellationToken);
            return await inner.InvokeAsync(cimNamespace, instance, method, arguments, cancellationToken);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref endpoint._open);
            }
        }
    }
}
