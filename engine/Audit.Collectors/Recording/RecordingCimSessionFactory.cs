using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Audit.Collectors.Cim;
using Audit.Core;

namespace Audit.Collectors.Recording;

/// <summary>
/// Wraps the live session factory and writes down every operation of every host as it happened: what was asked, how
/// long it took, and the raw answer (instances with each property's CIM and .NET type, null kept apart from absent;
/// method results; failures with every code and ErrorData property). Nothing is removed; a recording in which the
/// password given for the hosts appears is refused by <see cref="Save"/>, not written.
/// </summary>
/// <param name="inner">The live factory.</param>
/// <param name="recordedBy">The tool and machine that recorded.</param>
/// <param name="now">The collection's time (the snapshot's collectedAt), so a replay writes the same; default: now.</param>
public sealed class RecordingCimSessionFactory(ICimSessionFactory inner, RecordedBy recordedBy, Func<DateTimeOffset>? now = null) : ICimSessionFactory
{
    private readonly ConcurrentDictionary<string, HostLog> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly Func<DateTimeOffset> _now = now ?? (() => DateTimeOffset.UtcNow);
    private readonly ConcurrentBag<string> _secrets = [];

    /// <summary>The inventory entry of each host, so the recording names the host as it was asked for.</summary>
    public void Expect(InventoryHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        _hosts.GetOrAdd(host.Name, _ => new HostLog(host, _now()));
    }

    public async Task<ICimSession> CreateAsync(string computerName, CimConnectionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrEmpty(options.Password))
        {
            _secrets.Add(options.Password);
        }
        var log = _hosts.GetOrAdd(computerName, n => new HostLog(new InventoryHost { Name = n }, _now()));
        log.Connection ??= new RecordedConnection
        {
            Protocol = options.Protocol.ToString(),
            Port = options.Protocol == CimProtocol.WsMan ? MiSessionPlan.For(options).Port : null,
            UseSsl = options.UseSsl,
            User = options.User,
            OperationTimeoutMs = options.OperationTimeout.TotalMilliseconds,
        };
        var watch = Stopwatch.StartNew();
        try
        {
            return new Session(await inner.CreateAsync(computerName, options, cancellationToken).ConfigureAwait(false), log);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.Add(Failed(new RecordedOperation { Op = RecordedOps.Open, Outcome = "" }, e, watch));
            throw;
        }
    }

    /// <summary>
    /// Writes one file per host (HOST.cim.json) into <paramref name="folder"/>, all or none. Throws
    /// <see cref="RecordingRefusedException"/> (nothing written) when a password given for the hosts appears in any of them.
    /// </summary>
    public IReadOnlyList<string> Save(string folder)
    {
        var files = new List<(string Path, byte[] Bytes)>();
        foreach (var log in _hosts.Values.OrderBy(h => h.Host.Name, StringComparer.OrdinalIgnoreCase))
        {
            var document = log.ToDocument(recordedBy);
            var bytes = JsonSerializer.SerializeToUtf8Bytes(document, AuditJson.Options);
            var text = Encoding.UTF8.GetString(bytes);
            foreach (var secret in _secrets)
            {
                var escaped = JsonSerializer.Serialize(secret, AuditJson.Compact)[1..^1];
                if (text.Contains(secret, StringComparison.Ordinal) || text.Contains(escaped, StringComparison.Ordinal))
                {
                    throw new RecordingRefusedException($"the recording of {log.Host.Name} contains the password given for the hosts: no recording was written (send the snapshot instead, or record with an account whose password appears nowhere in the hosts' answers)");
                }
            }
            files.Add((Path.Combine(folder, FileName(log.Host.Name)), bytes));
        }
        System.IO.Directory.CreateDirectory(folder);
        AtomicFile.WriteAll([.. files.Select(f => (f.Path, (Action<Stream>)(s => s.Write(f.Bytes))))]);
        return [.. files.Select(f => f.Path)];
    }

    /// <summary>HOST.cim.json: the host as named, with characters a file name cannot hold replaced.</summary>
    public static string FileName(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var safe = new string([.. host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')]);
        return (safe.Length == 0 || safe.StartsWith('.') ? "_" + safe : safe) + CimRecordingDocument.FileSuffix;
    }

    private static RecordedOperation Failed(RecordedOperation op, Exception e, Stopwatch watch)
    {
        var elapsed = Math.Round(watch.Elapsed.TotalMilliseconds, 1);
        return e switch
        {
            OperationCanceledException => op with { Outcome = RecordedOutcomes.Cancelled, ElapsedMs = elapsed },
            CimException { Fault: { } f } c => op with { Outcome = RecordedOutcomes.Error, ElapsedMs = elapsed, Fault = RecordedValueCodec.Fault(f, c.Code) },
            CimException c => op with
            {
                Outcome = RecordedOutcomes.Error,
                ElapsedMs = elapsed,
                Fault = new RecordedFault { Message = c.Message, ExceptionType = typeof(CimException).FullName!, ClassifiedAs = c.Code.ToString() },
            },
            _ => op with { Outcome = RecordedOutcomes.Error, ElapsedMs = elapsed, Fault = new RecordedFault { Message = e.Message, ExceptionType = e.GetType().FullName ?? e.GetType().Name } },
        };
    }

    private sealed class HostLog(InventoryHost host, DateTimeOffset startedAt)
    {
        private readonly List<RecordedOperation> _operations = [];

        public InventoryHost Host { get; } = host;
        public RecordedConnection? Connection { get; set; }

        public void Add(RecordedOperation op)
        {
            lock (_operations)
            {
                _operations.Add(op);
            }
        }

        public CimRecordingDocument ToDocument(RecordedBy by)
        {
            lock (_operations)
            {
                return new CimRecordingDocument
                {
                    Provenance = "recorded",
                    Host = new RecordedHost { Name = Host.Name, Cluster = Host.Cluster, MigrationGroup = Host.MigrationGroup, Local = Host.Local },
                    RecordedAt = startedAt,
                    RecordedBy = by,
                    Connection = Connection,
                    Operations = [.. _operations],
                };
            }
        }
    }

    private sealed class Session(ICimSession inner, HostLog log) : ICimSession
    {
        public string ComputerName => inner.ComputerName;

        public TimeProvider Time => inner.Time;

        public Task TestConnectionAsync(CancellationToken cancellationToken) =>
            RecordAsync(new RecordedOperation { Op = RecordedOps.TestConnection, Outcome = "" },
                async t => { await inner.TestConnectionAsync(t).ConfigureAwait(false); return true; },
                (op, _) => op, cancellationToken);

        public Task<IReadOnlyList<CimRecord>> QueryAsync(string cimNamespace, string wql, CancellationToken cancellationToken) =>
            RecordAsync(new RecordedOperation { Op = RecordedOps.Query, Namespace = cimNamespace, Query = wql, Outcome = "" },
                t => inner.QueryAsync(cimNamespace, wql, t),
                (op, rows) => op with { Instances = [.. rows.Select(RecordedValueCodec.Instance)] }, cancellationToken);

        public Task<CimMethodOutput> InvokeStaticAsync(string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
            RecordAsync(new RecordedOperation { Op = RecordedOps.InvokeStatic, Namespace = cimNamespace, Class = className, Method = method, Arguments = Arguments(arguments), Outcome = "" },
                t => inner.InvokeStaticAsync(cimNamespace, className, method, arguments, t), WithOutput, cancellationToken);

        public Task<CimMethodOutput> InvokeAsync(string cimNamespace, CimRecord instance, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
            RecordAsync(new RecordedOperation { Op = RecordedOps.Invoke, Namespace = cimNamespace, InstanceClass = instance.ClassName, Method = method, Arguments = Arguments(arguments), Outcome = "" },
                t => inner.InvokeAsync(cimNamespace, instance, method, arguments, t), WithOutput, cancellationToken);

        internal static IReadOnlyList<RecordedValue> Arguments(IReadOnlyDictionary<string, object?> arguments) =>
            [.. arguments.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => RecordedValueCodec.Encode(a.Key, a.Value, null))];

        private static RecordedOperation WithOutput(RecordedOperation op, CimMethodOutput output) => op with
        {
            ReturnValue = RecordedValueCodec.Encode("ReturnValue", output.ReturnValue, output.OutParameters.CimTypeOf("ReturnValue")),
            Out = [.. output.OutParameters.Properties.Select(p => RecordedValueCodec.Encode(p.Key, p.Value, output.OutParameters.CimTypeOf(p.Key)))],
        };

        private async Task<T> RecordAsync<T>(RecordedOperation op, Func<CancellationToken, Task<T>> call, Func<RecordedOperation, T, RecordedOperation> answer, CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            T result;
            try
            {
                result = await call(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                log.Add(Failed(op, e, watch));
                throw;
            }
            log.Add(answer(op with { Outcome = RecordedOutcomes.Ok, ElapsedMs = Math.Round(watch.Elapsed.TotalMilliseconds, 1) }, result));
            return result;
        }

        public void Dispose() => inner.Dispose();
    }
}

/// <summary>A recording that would carry a secret: refused as a whole, nothing written.</summary>
public sealed class RecordingRefusedException : Exception
{
    public RecordingRefusedException()
    {
    }

    public RecordingRefusedException(string message) : base(message)
    {
    }

    public RecordingRefusedException(string message, Exception inner) : base(message, inner)
    {
    }
}
