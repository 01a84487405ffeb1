using System.Runtime.Versioning;
using System.Security;
using Microsoft.Management.Infrastructure;
using Microsoft.Management.Infrastructure.Options;
using MiCimException = Microsoft.Management.Infrastructure.CimException;
using MiCimInstance = Microsoft.Management.Infrastructure.CimInstance;

namespace Audit.Collectors.Cim;

/// <summary>
/// Sessions over Microsoft.Management.Infrastructure (MI): WS-Management by default, DCOM as an option, or a local
/// session. MI works on Windows only in practice; on other platforms <see cref="CreateAsync"/> throws
/// <see cref="CimException"/> with <see cref="CimErrorCode.PlatformNotSupported"/> before touching MI.
/// </summary>
/// <remarks>Not exercised by this repository's CI (no Windows host); everything above it is tested through <see cref="ICimSession"/>.</remarks>
public sealed class MiCimSessionFactory : ICimSessionFactory
{
    public const string PlatformMessage = "live collection over CIM (Microsoft.Management.Infrastructure) needs Windows";

    public Task<ICimSession> CreateAsync(string computerName, CimConnectionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!OperatingSystem.IsWindows())
        {
            throw new CimException(CimErrorCode.PlatformNotSupported, PlatformMessage);
        }
        return CreateOnWindows(computerName, options, cancellationToken);
    }

    [SupportedOSPlatform("windows")]
    private static Task<ICimSession> CreateOnWindows(string computerName, CimConnectionOptions options, CancellationToken cancellationToken) =>
        Task.Run<ICimSession>(() => MiCimSession.Create(computerName, options), cancellationToken);
}

[SupportedOSPlatform("windows")]
internal sealed class MiCimSession : ICimSession
{
    private readonly CimSession _session;
    private readonly TimeSpan _timeout;

    private MiCimSession(string computerName, CimSession session, TimeSpan timeout)
    {
        ComputerName = computerName;
        _session = session;
        _timeout = timeout;
    }

    public string ComputerName { get; }

    public static MiCimSession Create(string computerName, CimConnectionOptions options)
    {
        // The SecureString lives until the session exists: MI may read it only when the session is created.
        SecureString? password = null;
        try
        {
            CimSession session;
            if (options.Protocol == CimProtocol.Local)
            {
                session = CimSession.Create(null);
            }
            else
            {
                using CimSessionOptions sessionOptions = options.Protocol == CimProtocol.Dcom ? new DComSessionOptions() : new WSManSessionOptions();
                sessionOptions.Timeout = options.OperationTimeout;
                if (options.User is not null)
                {
                    var (domain, user) = SplitUser(options.User);
                    password = new SecureString();
                    foreach (var ch in options.Password ?? "")
                    {
                        password.AppendChar(ch);
                    }
                    password.MakeReadOnly();
                    var mechanism = options.Protocol == CimProtocol.Dcom ? PasswordAuthenticationMechanism.Default : PasswordAuthenticationMechanism.Negotiate;
                    sessionOptions.AddDestinationCredentials(new CimCredential(mechanism, domain, user, password));
                }
                session = CimSession.Create(computerName, sessionOptions);
            }
            return new MiCimSession(computerName, session, options.OperationTimeout);
        }
        catch (MiCimException e)
        {
            throw Translate(e, $"cannot open a CIM session to {computerName}");
        }
        finally
        {
            password?.Dispose();
        }
    }

    private static (string? Domain, string User) SplitUser(string user)
    {
        var slash = user.IndexOf('\\', StringComparison.Ordinal);
        return slash > 0 ? (user[..slash], user[(slash + 1)..]) : (null, user);
    }

    private CimOperationOptions Options(CancellationToken cancellationToken) => new()
    {
        Timeout = _timeout,
        CancellationToken = cancellationToken,
    };

    public Task<IReadOnlyList<CimRecord>> QueryAsync(string cimNamespace, string wql, CancellationToken cancellationToken) =>
        Task.Run<IReadOnlyList<CimRecord>>(() =>
        {
            try
            {
                using var options = Options(cancellationToken);
                return [.. _session.QueryInstances(cimNamespace, "WQL", wql, options).Select(i => ToRecord(i, keepHandle: true))];
            }
            catch (MiCimException e)
            {
                throw Translate(e, $"{cimNamespace}: {wql}");
            }
        }, cancellationToken);

    public Task<CimMethodOutput> InvokeStaticAsync(string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            try
            {
                using var options = Options(cancellationToken);
                using var parameters = Parameters(arguments);
                using var result = _session.InvokeMethod(cimNamespace, className, method, parameters, options);
                return ToOutput(result);
            }
            catch (MiCimException e)
            {
                throw Translate(e, $"{cimNamespace}: {className}.{method}");
            }
        }, cancellationToken);

    public Task<CimMethodOutput> InvokeAsync(string cimNamespace, CimRecord instance, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            if (instance.Handle is not MiCimInstance native)
            {
                throw new CimException(CimErrorCode.InvalidParameter, $"{instance.ClassName}.{method}: the instance did not come from this session");
            }
            try
            {
                using var options = Options(cancellationToken);
                using var parameters = Parameters(arguments);
                using var result = _session.InvokeMethod(cimNamespace, native, method, parameters, options);
                return ToOutput(result);
            }
            catch (MiCimException e)
            {
                throw Translate(e, $"{cimNamespace}: {instance.ClassName}.{method}");
            }
        }, cancellationToken);

    private static CimMethodParametersCollection Parameters(IReadOnlyDictionary<string, object?> arguments)
    {
        var c = new CimMethodParametersCollection();
        foreach (var (name, value) in arguments)
        {
            var type = value switch
            {
                uint => CimType.UInt32,
                int => CimType.SInt32,
                ulong => CimType.UInt64,
                long => CimType.SInt64,
                bool => CimType.Boolean,
                string[] => CimType.StringArray,
                _ => CimType.String,
            };
            c.Add(CimMethodParameter.Create(name, value, type, CimFlags.In));
        }
        return c;
    }

    private static CimMethodOutput ToOutput(CimMethodResult result)
    {
        var outs = new List<KeyValuePair<string, object?>>();
        foreach (var p in result.OutParameters)
        {
            outs.Add(new(p.Name, Convert(p.Value)));
        }
        return new CimMethodOutput(CimRecord.ToInt64(result.ReturnValue?.Value), new CimRecord("__PARAMETERS", outs));
    }

    private static CimRecord ToRecord(MiCimInstance instance, bool keepHandle)
    {
        var props = new List<KeyValuePair<string, object?>>();
        foreach (var p in instance.CimInstanceProperties)
        {
            props.Add(new(p.Name, Convert(p.Value)));
        }
        return new CimRecord(instance.CimSystemProperties.ClassName, props, keepHandle ? instance : null);
    }

    private static object? Convert(object? value) => value switch
    {
        MiCimInstance i => ToRecord(i, keepHandle: false),
        MiCimInstance[] a => a.Select(i => ToRecord(i, keepHandle: false)).ToArray(),
        _ => value,
    };

    private static CimException Translate(MiCimException e, string what)
    {
        var code = (int)e.NativeErrorCode;
        var ours = Enum.IsDefined(typeof(CimErrorCode), code) ? (CimErrorCode)code : CimErrorCode.Failed;
        // WinRM transport failures come back as Failed with an HRESULT in the message: treat them as unreachable (retried once).
        if (ours == CimErrorCode.Failed && e.Message.Contains("WinRM", StringComparison.OrdinalIgnoreCase))
        {
            ours = CimErrorCode.Unreachable;
        }
        return new CimException(ours, $"{what}: {e.NativeErrorCode}: {e.Message.Trim()}", e);
    }

    public void Dispose() => _session.Dispose();
}
