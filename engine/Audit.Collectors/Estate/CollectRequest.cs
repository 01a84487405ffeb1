using Audit.Collectors.Cim;
using Audit.Collectors.Inventory;
using Audit.Collectors.Preflight;
using Audit.Core;

namespace Audit.Collectors.Estate;

/// <summary>
/// What one collection is asked to do (the options of 'audit collect', checked for consistency by the caller). Paths are
/// as the user wrote them: <see cref="Resolve"/> makes them full, messages repeat them as written.
/// </summary>
public sealed record CollectRequest
{
    /// <summary>Hosts as listed (host, host:port, [IPv6]:port; comma-separated).</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];
    /// <summary>Inventory file: one name per line, or JSON.</summary>
    public string? HostsFile { get; init; }
    /// <summary>Collect this machine through a local session.</summary>
    public bool Local { get; init; }
    public int Parallel { get; init; } = 16;
    public int TimeoutSeconds { get; init; } = 300;
    public int OperationTimeoutSeconds { get; init; } = 60;
    public bool Dcom { get; init; }
    /// <summary>Connect to hosts as this user; its password comes from <see cref="PasswordEnv"/>, else <see cref="PasswordFor"/>.</summary>
    public string? User { get; init; }
    /// <summary>Name of the environment variable holding <see cref="User"/>'s password.</summary>
    public string? PasswordEnv { get; init; }
    /// <summary>ldap:// or ldaps:// URI of the directory to read; null: none.</summary>
    public string? Directory { get; init; }
    public string? DirectoryBase { get; init; }
    public string? DirectoryUser { get; init; }
    public string? DirectoryPasswordEnv { get; init; }
    public string? DirectoryCa { get; init; }
    public bool DirectoryStartTls { get; init; }
    /// <summary>Snapshot file to write.</summary>
    public string Out { get; init; } = "snapshot.json";
    public int? Port { get; init; }
    public bool Https { get; init; }
    /// <summary>mi or wsman; null: <see cref="DefaultTransport"/>.</summary>
    public string? Transport { get; init; }
    /// <summary>negotiate or basic (--transport wsman).</summary>
    public string Auth { get; init; } = "negotiate";
    public string? Ca { get; init; }
    /// <summary>Only check that each host can be collected (<see cref="PreflightRunner"/>); no snapshot is written.</summary>
    public bool Preflight { get; init; }
    /// <summary>Folder to write every raw CIM answer into, per host.</summary>
    public string? Record { get; init; }
    /// <summary>Folder of recordings to collect from instead of hosts.</summary>
    public string? Replay { get; init; }

    /// <summary>A path as written, made full (relative to the caller's current folder).</summary>
    public Func<string, string> Resolve { get; init; } = Path.GetFullPath;
    /// <summary>Environment variables (the passwords named by <see cref="PasswordEnv"/> and <see cref="DirectoryPasswordEnv"/>).</summary>
    public Func<string, string?> GetVariable { get; init; } = Environment.GetEnvironmentVariable;
    /// <summary>Asks for <see cref="User"/>'s password (a prompt on the terminal) when no <see cref="PasswordEnv"/> names it,
    /// only when hosts are about to be contacted; null: there is no one to ask.</summary>
    public Func<string, string>? PasswordFor { get; init; }
    /// <summary>Where CIM sessions come from when no transport decides otherwise; null: Microsoft.Management.Infrastructure.</summary>
    public ICimSessionFactory? Sessions { get; init; }
    /// <summary>Microsoft.Management.Infrastructure can run here (Windows).</summary>
    public bool CanUseMi { get; init; } = OperatingSystem.IsWindows();
    /// <summary>The snapshot's time when not replaying.</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;
    /// <summary>The collecting tool's version, recorded in the snapshot and in recordings.</summary>
    public string ToolVersion { get; init; } = "";

    /// <summary>
    /// Issue 17: MI on Windows, WS-Management elsewhere. DCOM and a local session exist only in MI, so they keep MI (and
    /// exit 69 off Windows); so does an injected session factory (tests' stand-in for MI).
    /// </summary>
    public static string DefaultTransport(bool canUseMi, bool sessionsInjected, bool dcom, bool local) =>
        canUseMi || sessionsInjected || dcom || local ? "mi" : "wsman";

    /// <summary>The transport used: <see cref="Transport"/>, else <see cref="DefaultTransport"/>.</summary>
    public string EffectiveTransport => Transport ?? DefaultTransport(CanUseMi, Sessions is not null, Dcom, Local);

    /// <summary>What makes the request inconsistent, whatever the files and hosts say (one sentence each, naming the
    /// options; empty when it can run): ranges, options that apply to another transport, --hosts entries, the directory URI.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Check(bool wrong, string problem)
        {
            if (wrong)
            {
                problems.Add(problem);
            }
        }
        var transport = EffectiveTransport;
        Check(Parallel is < 1 or > 1024, $"--parallel {Parallel} must be between 1 and 1024");
        Check(TimeoutSeconds < 1 || OperationTimeoutSeconds < 1, "--timeout and --operation-timeout must be at least 1 second");
        Check(Port is < 1 or > 65535, $"--port {Port} must be between 1 and 65535");
        Check(Dcom && (Https || Port is not null || transport == "wsman"), "--https, --port and --transport wsman apply to WinRM (WS-Management), not to --dcom");
        Check(Ca is not null && transport != "wsman", "--ca applies to --transport wsman (with MI, Windows' own trust store decides)");
        Check(Auth == "basic" && (transport != "wsman" || !Https), "--auth basic needs --transport wsman and --https (Basic would send the password in clear text otherwise)");
        Check(Replay is not null && Record is not null, "--record and --replay cannot be combined: a replay only plays what was recorded");
        // Asked only where they are used: the hosts' password when hosts are contacted, the directory's when it is read.
        Check(PasswordEnv is not null && User is null && Replay is null && (Hosts.Count > 0 || HostsFile is not null || Local), "--password-env needs --user");
        if (Hosts.Count > 0)
        {
            try
            {
                InventoryLoader.ParseList(Hosts);
            }
            catch (InputException e)
            {
                problems.Add(e.Diagnostics[0].Message);
            }
        }
        if (Directory is not null && !Preflight)
        {
            var ldap = Uri.TryCreate(Directory, UriKind.Absolute, out var uri) && uri.Scheme is "ldap" or "ldaps";
            Check(!ldap, $"--directory '{Directory}' must be ldap://host[:port] or ldaps://host[:port]");
            Check(ldap && DirectoryStartTls && uri!.Scheme == "ldaps", "--directory-starttls applies to ldap:// only (ldaps:// is TLS from the start)");
            Check(DirectoryPasswordEnv is not null && DirectoryUser is null, "--directory-password-env needs --directory-user");
        }
        return problems;
    }
}

/// <summary>What a collection did: nothing (<see cref="Unsupported"/>), a preflight table, or a snapshot written.</summary>
public sealed record CollectResult
{
    /// <summary>Hosts were asked over MI where MI cannot run: nothing was contacted or written.</summary>
    public bool Unsupported { get; init; }
    /// <summary>The preflight table, with --preflight.</summary>
    public IReadOnlyList<PreflightHost>? Preflight { get; init; }
    /// <summary>The snapshot written to <see cref="CollectRequest.Out"/>.</summary>
    public CollectedEstate? Estate { get; init; }
    /// <summary>Hosts were asked for (not only the directory).</summary>
    public bool HostsAsked { get; init; }
    /// <summary>Questions the replayed recordings do not answer (errors in the snapshot).</summary>
    public IReadOnlyList<string> ReplayMisses { get; init; } = [];
    /// <summary>The recording asked for with <see cref="CollectRequest.Record"/>; null: none.</summary>
    public RecordingSaved? Recording { get; init; }
}

/// <summary>A recording: the hosts written, or why nothing was written (it would hold the password, or the folder refused it).</summary>
public sealed record RecordingSaved(int Hosts, string? Error);

/// <summary>A collection the request cannot carry out as given (exit 64 in the CLI): nothing to collect, an unwritable
/// folder, a missing password, a directory URI that is not LDAP.</summary>
public sealed class CollectRequestException : Exception
{
    public CollectRequestException()
    {
    }

    public CollectRequestException(string message) : base(message)
    {
    }

    public CollectRequestException(string message, Exception inner) : base(message, inner)
    {
    }
}
