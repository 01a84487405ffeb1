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

    public override string ToString() => $"CimConnectionOptions {{ Protocol = {Protocol}, User = {User ?? "(current identity)"}, Password = {(Password is null ? "(none)" : "***")}, OperationTimeout = {OperationTimeout} }}";
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
