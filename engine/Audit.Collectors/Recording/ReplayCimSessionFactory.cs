using Audit.Collectors.Cim;
using Audit.Core;
using Audit.Core.Loading;

namespace Audit.Collectors.Recording;

/// <summary>
/// Plays recordings back through the same collectors, on any OS: each host's operations are answered in the order
/// they were recorded (a repeated question gets the next recorded answer, as a retry did live, and the last one once they are used up); failures are
/// classified again from their recorded codes; time advances by the recorded durations, so the snapshot is the one
/// the live run wrote (durations included). A question the recording does not hold is an error of that fact family
/// (<see cref="CimErrorCode.NotRecorded"/>), listed in <see cref="Misses"/>.
/// </summary>
public sealed class ReplayCimSessionFactory : ICimSessionFactory
{
    private readonly Dictionary<string, HostReplay> _hosts;
    private readonly List<string> _misses = [];

    public ReplayCimSessionFactory(IEnumerable<CimRecordingDocument> recordings)
    {
        ArgumentNullException.ThrowIfNull(recordings);
        _hosts = new(StringComparer.OrdinalIgnoreCase);
        foreach (var r in recordings)
        {
            if (!_hosts.TryAdd(r.Host.Name, new HostReplay(r, this)))
            {
                throw new ArgumentException($"two recordings of host {r.Host.Name}", nameof(recordings));
            }
        }
    }

    /// <summary>The hosts recorded, in the order of their names, as the inventory gave them.</summary>
    public IReadOnlyList<InventoryHost> Hosts =>
        [.. _hosts.Values.Select(h => h.Recording.Host).OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase)
            .Select(h => new InventoryHost { Name = h.Name, Cluster = h.Cluster, MigrationGroup = h.MigrationGroup, Local = h.Local })];

    /// <summary>When the first host was recorded (the snapshot's collection time in replay).</summary>
    public DateTimeOffset? RecordedAt => _hosts.Count == 0 ? null : _hosts.Values.Min(h => h.Recording.RecordedAt);

    /// <summary>The machine the recordings were made on, when they say.</summary>
    public string? RecordedOn => _hosts.Values.Select(h => h.Recording.RecordedBy?.Machine).FirstOrDefault(m => m is not null);

    /// <summary>Questions asked in replay that no recording answered ("HOST: what").</summary>
    public IReadOnlyList<string> Misses
    {
        get
        {
            lock (_misses)
            {
                return [.. _misses];
            }
        }
    }

    /// <summary>Reads every *.cim.json in <paramref name="folder"/>, each checked against schema/cimrecording.v1.schema.json.</summary>
    public static ReplayCimSessionFactory Load(string folder, string? displayFolder = null)
    {
        var shown = displayFolder ?? folder;
        if (!System.IO.Directory.Exists(folder))
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.FileNotFound, DiagnosticLevel.Error, "recording folder not found", shown));
        }
        var files = System.IO.Directory.GetFiles(folder, "*" + CimRecordingDocument.FileSuffix).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.FileNotFound, DiagnosticLevel.Error, $"no recordings (*{CimRecordingDocument.FileSuffix}) in this folder", shown));
        }
        var docs = new List<CimRecordingDocument>();
        var diagnostics = new List<Diagnostic>();
        foreach (var f in files)
        {
            try
            {
                docs.Add(JsonFileLoader.Load<CimRecordingDocument>(f, CimRecordingDocument.SchemaName, displayPath: Path.Combine(shown, Path.GetFileName(f))).Value);
            }
            catch (InputException e)
            {
                diagnostics.AddRange(e.Diagnostics);
            }
        }
        if (diagnostics.Count > 0)
        {
            throw new InputException(diagnostics);
        }
        var duplicate = docs.GroupBy(d => d.Host.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.DuplicateHost, DiagnosticLevel.Error, $"host {duplicate.Key} is recorded in two files", shown));
        }
        return new ReplayCimSessionFactory(docs);
    }

    public Task<ICimSession> CreateAsync(string computerName, CimConnectionOptions options, CancellationToken cancellationToken)
    {
        if (!_hosts.TryGetValue(computerName, out var host))
        {
            Miss($"{computerName}: the whole host");
            throw new CimException(CimErrorCode.NotRecorded, $"{CimOperationText.Open(computerName)}: no recording of this host");
        }
        host.ThrowIfOpenFailed();
        return Task.FromResult<ICimSession>(new Session(host));
    }

    private void Miss(string what)
    {
        lock (_misses)
        {
            _misses.Add(what);
        }
    }

    /// <summary>A clock that moves only by the recorded durations of the operations played.</summary>
    private sealed class RecordedClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(double ms) => Interlocked.Add(ref _ticks, (long)Math.Round(ms * TimeSpan.TicksPerMillisecond));
    }

    private sealed class HostReplay(CimRecordingDocument recording, ReplayCimSessionFactory owner)
    {
        private readonly List<RecordedOperation> _left = [.. recording.Operations];
        private readonly List<RecordedOperation> _played = [];

        public CimRecordingDocument Recording { get; } = recording;
        public RecordedClock Clock { get; } = new();
        public ReplayCimSessionFactory Owner { get; } = owner;

        public TimeSpan OperationTimeout => TimeSpan.FromMilliseconds(Recording.Connection?.OperationTimeoutMs is > 0 and var ms ? ms : 60_000);

        public void ThrowIfOpenFailed()
        {
            RecordedOperation? op;
            lock (_left)
            {
                op = _left.Count > 0 && _left[0].Op == RecordedOps.Open ? _left[0] : null;
                if (op is not null)
                {
                    _left.RemoveAt(0);
                }
            }
            if (op is not null)
            {
                Clock.Advance(op.ElapsedMs);
                throw Failure(op, CimOperationText.Open(Recording.Host.Name));
            }
        }

        /// <summary>
        /// The next recorded answer to a question; once those are used up, the last one again (the collectors only
        /// read: the same question asked again live gets the same answer); null when the question was never recorded.
        /// </summary>
        public RecordedOperation? Take(Func<RecordedOperation, bool> matches)
        {
            lock (_left)
            {
                var i = _left.FindIndex(o => matches(o));
                if (i < 0)
                {
                    return _played.FindLast(o => matches(o));
                }
                var op = _left[i];
                _left.RemoveAt(i);
                _played.Add(op);
                return op;
            }
        }

        public CimException Failure(RecordedOperation op, string what)
        {
            if (op.Outcome == RecordedOutcomes.Cancelled)
            {
                // Cut off live by the per-operation time limit (or Ctrl+C): the guard said this, in these words.
                return new CimException(CimErrorCode.Timeout, $"{what}: no answer within {CollectionRunner.Seconds(OperationTimeout)}") { Fix = CimErrorClassifier.FixFor(CimErrorCode.Timeout) };
            }
            var fault = op.Fault ?? new RecordedFault { Message = "recorded as an error without a fault", ExceptionType = "unknown" };
            if (fault.NativeErrorCode is null && fault.ExceptionType == typeof(CimException).FullName
                && Enum.TryParse<CimErrorCode>(fault.ClassifiedAs, out var ours))
            {
                // Our own classification recorded (a failure that never came from MI): the message was complete already.
                return new CimException(ours, fault.Message) { Fix = CimErrorClassifier.FixFor(ours) };
            }
            if (fault.NativeErrorCode is null && !fault.ExceptionType.StartsWith("System.", StringComparison.Ordinal))
            {
                return new CimException(CimErrorCode.Failed, $"{what}: {fault.ExceptionType}: {fault.Message}");
            }
            return CimErrorClassifier.ToException(RecordedValueCodec.Fault(fault), what);
        }
    }

    private sealed class Session(HostReplay host) : ICimSession
    {
        public string ComputerName => host.Recording.Host.Name;

        public TimeProvider Time => host.Clock;

        public Task TestConnectionAsync(CancellationToken cancellationToken) =>
            Play(o => o.Op == RecordedOps.TestConnection, CimOperationText.TestConnection(ComputerName), _ => true, optional: true);

        public Task<IReadOnlyList<CimRecord>> QueryAsync(string cimNamespace, string wql, CancellationToken cancellationToken) =>
            Play(o => o.Op == RecordedOps.Query && o.Namespace == cimNamespace && o.Query == wql, CimOperationText.Query(cimNamespace, wql),
                o => (IReadOnlyList<CimRecord>)[.. (o.Instances ?? []).Select(RecordedValueCodec.ToRecord)]);

        public Task<CimMethodOutput> InvokeStaticAsync(string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
        {
            var args = Canonical(arguments);
            return Play(o => o.Op == RecordedOps.InvokeStatic && o.Namespace == cimNamespace && o.Class == className && o.Method == method && Canonical(o.Arguments) == args,
                CimOperationText.Method(cimNamespace, className, method), Output, args);
        }

        public Task<CimMethodOutput> InvokeAsync(string cimNamespace, CimRecord instance, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
        {
            var args = Canonical(arguments);
            return Play(o => o.Op == RecordedOps.Invoke && o.Namespace == cimNamespace && o.InstanceClass == instance.ClassName && o.Method == method && Canonical(o.Arguments) == args,
                CimOperationText.Method(cimNamespace, instance.ClassName, method), Output, args);
        }

        private static CimMethodOutput Output(RecordedOperation o)
        {
            var outs = (o.Out ?? []).ToList();
            var types = outs.Where(p => p.CimType is not null).ToDictionary(p => p.Name, p => p.CimType!, StringComparer.OrdinalIgnoreCase);
            return new CimMethodOutput(o.ReturnValue is null ? null : CimRecord.ToInt64(RecordedValueCodec.Decode(o.ReturnValue)),
                new CimRecord("__PARAMETERS", outs.Select(p => new KeyValuePair<string, object?>(p.Name, RecordedValueCodec.Decode(p))), cimTypes: types));
        }

        private static string Canonical(IReadOnlyDictionary<string, object?> arguments) =>
            Canonical(arguments.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => RecordedValueCodec.Encode(a.Key, a.Value, null)).ToList());

        private static string Canonical(IReadOnlyList<RecordedValue>? arguments) =>
            string.Join(", ", (arguments ?? []).OrderBy(a => a.Name, StringComparer.Ordinal).Select(a => $"{a.Name}={a.Value.GetRawText()}"));

        private Task<T> Play<T>(Func<RecordedOperation, bool> matches, string what, Func<RecordedOperation, T> answer, string? arguments = null, bool optional = false)
        {
            var op = host.Take(matches);
            if (op is null)
            {
                if (optional)
                {
                    // Recordings made before connection tests existed, or written by hand, need not hold one.
                    return Task.FromResult(answer(new RecordedOperation { Op = RecordedOps.TestConnection, Outcome = RecordedOutcomes.Ok }));
                }
                host.Owner.Miss($"{ComputerName}: {what}{(arguments is null ? "" : $"({arguments})")}");
                return Task.FromException<T>(new CimException(CimErrorCode.NotRecorded, $"{what}: the recording of {ComputerName} holds no answer to this"));
            }
            host.Clock.Advance(op.ElapsedMs);
            return op.Outcome == RecordedOutcomes.Ok
                ? Task.FromResult(answer(op))
                : Task.FromException<T>(host.Failure(op, what));
        }

        public void Dispose()
        {
        }
    }
}
