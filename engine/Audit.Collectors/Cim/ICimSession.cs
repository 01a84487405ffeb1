namespace Audit.Collectors.Cim;

/// <summary>
/// Our own seam over a CIM session to one host: the few operations the collectors need. The MI implementation
/// (<see cref="MiCimSession"/>) is thin; tests use Moq or a recorded fake. Failures throw <see cref="CimException"/>.
/// </summary>
public interface ICimSession : IDisposable
{
    /// <summary>The host this session talks to, as given in the inventory.</summary>
    string ComputerName { get; }

    /// <summary>Runs a WQL query (SELECT ... or ASSOCIATORS OF ...) in <paramref name="cimNamespace"/> (e.g. root/cimv2).</summary>
    Task<IReadOnlyList<CimRecord>> QueryAsync(string cimNamespace, string wql, CancellationToken cancellationToken);

    /// <summary>Calls a static method of <paramref name="className"/> (e.g. StdRegProv.EnumValues).</summary>
    Task<CimMethodOutput> InvokeStaticAsync(string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken);

    /// <summary>Calls a method on an instance returned earlier by <see cref="QueryAsync"/> of this session.</summary>
    Task<CimMethodOutput> InvokeAsync(string cimNamespace, CimRecord instance, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken);

    /// <summary>
    /// Contacts the host once (WS-Management Identify, or DCOM's equivalent), as New-CimSession does: an unreachable
    /// host, refused credentials or an untrusted name fail here, once, instead of in every operation.
    /// </summary>
    Task TestConnectionAsync(CancellationToken cancellationToken);

    /// <summary>The clock durations are measured with: the system's live, the recording's in replay.</summary>
    TimeProvider Time => TimeProvider.System;
}

/// <summary>How to reach hosts. The password is never printed.</summary>
public sealed record CimConnectionOptions
{
    /// <summary>WS-Management (WinRM, the default), DCOM, or a local session for the machine the tool runs on.</summary>
    public CimProtocol Protocol { get; init; } = CimProtocol.WsMan;

    /// <summary>DOMAIN\user or user@domain; null: the current Windows identity.</summary>
    public string? User { get; init; }

    public string? Password { get; init; }

    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>WS-Management port; null: 5985, or 5986 with <see cref="UseSsl"/>.</summary>
    public int? Port { get; init; }

    /// <summary>WS-Management over HTTPS (the host's certificate is checked: CA, name and revocation).</summary>
    public bool UseSsl { get; init; }

    /// <summary>PEM file of the CA to trust (only it) for hosts' HTTPS certificates (WS-Management transport); null: the system's trust.</summary>
    public string? CaFile { get; init; }

    /// <summary>WS-Management transport: Negotiate (Kerberos; the current identity, or <see cref="User"/>) or Basic (HTTPS only).</summary>
    public WsManAuthentication Authentication { get; init; } = WsManAuthentication.Negotiate;

    public override string ToString() => $"CimConnectionOptions {{ Protocol = {Protocol}, User = {User ?? "(current identity)"}, Password = {(Password is null ? "(none)" : "***")}, OperationTimeout = {OperationTimeout}, Port = {Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(default)"}, UseSsl = {UseSsl} }}";
}

/// <summary>How our WS-Management client authenticates.</summary>
public enum WsManAuthentication
{
    Negotiate,
    Basic,
}

public enum CimProtocol
{
    WsMan,
    Dcom,
    Local,
}

/// <summary>Creates one session per host.</summary>
public interface ICimSessionFactory
{
    /// <summary>Throws <see cref="CimException"/> (Unreachable, AccessDenied, PlatformNotSupported) when no session can be made.</summary>
    Task<ICimSession> CreateAsync(string computerName, CimConnectionOptions options, CancellationToken cancellationToken);
}
