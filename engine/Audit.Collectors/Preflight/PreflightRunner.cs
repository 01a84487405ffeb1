using System.Globalization;
using System.Text;
using Audit.Collectors.Cim;

// What lives here: 'audit collect --preflight': one connection and one cheap read per namespace the collectors need,
// per host, as a table with the fix for each failure. Depends on Audit.Collectors.Cim (the session seam, the
// collectors' own queries, the error classifier); nothing depends on it but the CLI.
namespace Audit.Collectors.Preflight;

/// <summary>What one check found: ready, absent (the family will be "unsupported", not an error), failed, or not run.</summary>
public enum PreflightState
{
    Ok,
    Absent,
    Failed,
    NotRun,
}

public sealed record PreflightCell(string Check, PreflightState State, CimErrorCode? Code = null, string? Cause = null, string? Fix = null);

public sealed record PreflightHost(string Host, IReadOnlyList<PreflightCell> Cells)
{
    /// <summary>Reachable, authenticated, and no namespace refused: collection will work (absent families are fine).</summary>
    public bool Ready => Cells.All(c => c.State is PreflightState.Ok or PreflightState.Absent);
}

/// <summary>
/// Connects to each host and asks, per namespace the collectors read, the very question its collector asks first
/// (so "ok" here means the collection will get an answer). Hosts run in parallel, each check within the operation
/// time limit, no retries (a preflight should say what is wrong, not hide it).
/// </summary>
public sealed class PreflightRunner(ICimSessionFactory factory)
{
    public const string Connect = "connect";

    /// <summary>The checks after the connection: a column name, and the collector's own first question.</summary>
    public static IReadOnlyList<(string Check, Func<ICimSession, CancellationToken, Task> Ask)> Checks { get; } =
    [
        ("cimv2", (s, t) => s.QueryAsync(CimNamespaces.Cimv2, OsCollector.OsQuery, t)),
        ("registry", async (s, t) =>
        {
            var output = await s.InvokeStaticAsync(CimNamespaces.Default, StdRegistry.ClassName, "EnumValues",
                new Dictionary<string, object?> { ["hDefKey"] = StdRegistry.HklmKey, ["sSubKeyName"] = IntegrationServicesCollector.Key }, t).ConfigureAwait(false);
            // 0 read, 2 key absent (no Hyper-V): both mean the registry answers. 5 is access denied.
            if (output.ReturnValue is not (0 or StdRegistry.NotFound))
            {
                throw output.ReturnValue == 5
                    ? new CimException(CimErrorCode.AccessDenied, "StdRegProv.EnumValues returned 5 (access denied)")
                    : new CimException(CimErrorCode.Failed, $"StdRegProv.EnumValues returned {output.ReturnValue?.ToString(CultureInfo.InvariantCulture) ?? "nothing"}");
            }
        }),
        ("virtualization", (s, t) => s.QueryAsync(CimNamespaces.Virtualization, VmCollector.VmQuery, t)),
        ("cluster", (s, t) => s.QueryAsync(CimNamespaces.Cluster, ClusterCollector.Query, t)),
        ("tasks", (s, t) => s.QueryAsync(CimNamespaces.TaskScheduler, ScheduledTaskCollector.Query, t)),
        ("smb", (s, t) => s.QueryAsync(CimNamespaces.Smb, SmbCollector.ConfigQuery, t)),
    ];

    public static IReadOnlyList<string> Columns { get; } = [Connect, .. Checks.Select(c => c.Check)];

    public async Task<IReadOnlyList<PreflightHost>> RunAsync(IReadOnlyList<InventoryHost> hosts, CollectionRunOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(options);
        using var gate = new SemaphoreSlim(Math.Max(1, options.Parallel));
        var tasks = hosts.Select(async h =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await CheckHostAsync(h, options, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task<PreflightHost> CheckHostAsync(InventoryHost host, CollectionRunOptions options, CancellationToken cancellationToken)
    {
        var dcom = options.Connection.Protocol == CimProtocol.Dcom;
        var connection = host.Local ? options.Connection with { Protocol = CimProtocol.Local } : options.Connection;
        ICimSession session;
        try
        {
            session = await GuardedCimSession.WithRetryAsync(async t =>
            {
                var s = await factory.CreateAsync(host.Name, connection, t).ConfigureAwait(false);
                try
                {
                    await s.TestConnectionAsync(t).ConfigureAwait(false);
                    return s;
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            }, CimOperationText.TestConnection(host.Name), options.OperationTimeout, 0, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            var failed = Failed(Connect, e, dcom);
            return new PreflightHost(host.Name, [failed, .. Checks.Select(c => new PreflightCell(c.Check, PreflightState.NotRun))]);
        }
        using (session)
        {
            var cells = new List<PreflightCell> { new(Connect, PreflightState.Ok) };
            foreach (var (check, ask) in Checks)
            {
                try
                {
                    await GuardedCimSession.WithRetryAsync(async t => { await ask(session, t).ConfigureAwait(false); return true; }, check, options.OperationTimeout, 0, cancellationToken).ConfigureAwait(false);
                    cells.Add(new PreflightCell(check, PreflightState.Ok));
                }
                catch (CimException e) when (e.MeansAbsent)
                {
                    cells.Add(new PreflightCell(check, PreflightState.Absent, e.Code, e.Cause));
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    cells.Add(Failed(check, e, dcom));
                }
            }
            return new PreflightHost(host.Name, cells);
        }
    }

    private static PreflightCell Failed(string check, Exception e, bool dcom) => e switch
    {
        CimException c => new PreflightCell(check, PreflightState.Failed, c.Code, c.Cause, c.Fix ?? CimErrorClassifier.FixFor(c.Code, dcom) ?? Truncate(c.Message)),
        _ => new PreflightCell(check, PreflightState.Failed, CimErrorCode.PlatformNotSupported, e.GetType().Name, $"{CimErrorClassifier.FixFor(CimErrorCode.PlatformNotSupported)} ({e.GetType().Name}: {Truncate(e.Message)})"),
    };

    private static string Truncate(string s) => s.Length <= 200 ? s : s[..200] + "...";

    /// <summary>
    /// The table: one row per host, one column per check (ok, absent, FAIL, -), then one line per failure with its
    /// fix, then the verdict line. Text from hosts is the caller's to sanitise for the terminal.
    /// </summary>
    public static string Format(IReadOnlyList<PreflightHost> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        string[] header = ["host", .. Columns];
        var rows = new List<string[]> { header };
        foreach (var r in results)
        {
            string[] row = [r.Host, .. Columns.Select(c => Cell(r.Cells.FirstOrDefault(x => x.Check == c)))];
            rows.Add(row);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            sb.Append(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i])))).Append('\n');
        }
        var failures = results.SelectMany(r => r.Cells.Where(c => c.State == PreflightState.Failed).Select(c => (r.Host, Cell: c))).ToList();
        if (failures.Count > 0)
        {
            sb.Append('\n');
            foreach (var (host, cell) in failures)
            {
                var cause = cell.Cause is null || cell.Cause == cell.Code?.ToString() ? cell.Code?.ToString() : $"{cell.Code}, {cell.Cause}";
                sb.Append(CultureInfo.InvariantCulture, $"{host} {cell.Check}: {cause}: {cell.Fix ?? "no fix known: see the collection's error message"}\n");
            }
        }
        var ready = results.Count(r => r.Ready);
        sb.Append('\n').Append(CultureInfo.InvariantCulture, $"Preflight: {ready} of {results.Count} host(s) ready for collection").Append(ready == results.Count ? "." : "; fix the lines above and run again.").Append('\n');
        var absent = results.Sum(r => r.Cells.Count(c => c.State == PreflightState.Absent));
        if (absent > 0)
        {
            sb.Append("(absent: the namespace or class is not on that host, e.g. no Hyper-V or no cluster; those facts will be 'unsupported', not errors.)\n");
        }
        return sb.ToString();
    }

    private static string Cell(PreflightCell? c) => c?.State switch
    {
        PreflightState.Ok => "ok",
        PreflightState.Absent => "absent",
        PreflightState.Failed => "FAIL",
        _ => "-",
    };
}
