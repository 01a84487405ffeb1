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
        Task.Run<ICimSession>(() =>
        {
            try
            {
                return MiCimSession.Create(computerName, options);
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or BadImageFormatException or EntryPointNotFoundException or PlatformNotSupportedException)
            {
                // The native MI layer failed to load: this host (and every other) cannot be collected, but the run goes on and says why.
                throw CimErrorClassifier.ToException(new CimFault { ExceptionType = e.GetType().FullName ?? e.GetType().Name, Message = e.Message }, CimOperationText.Open(computerName), e);
            }
        }, cancellationToken);
}

[SupportedOSPlatform("windows")]
internal sealed class MiCimSession : ICimSession
{
    private readonly CimSession _session;
    private readonly TimeSpan _timeout;
    // Instances handed out with their native handle (for instance-method calls) live until the session is disposed.
    private readonly List<IDisposable> _handles = [];
    private readonly Lock _gate = new();

    private MiCimSession(string computerName, CimSession session, TimeSpan timeout)
    {
        ComputerName = computerName;
        _session = session;
        _timeout = timeout;
    }

    public string ComputerName { get; }

    public static MiCimSession Create(string computerName, CimConnectionOptions options)
    {
        var plan = MiSessionPlan.For(options);
        // The SecureString lives until the session exists: MI may read it only when the session is created.
        SecureString? password = null;
        try
        {
            CimSession session;
            if (plan.Protocol == CimProtocol.Local)
            {
                session = CimSession.Create(null);
            }
            else
            {
                using var sessionOptions = Options(plan);
                if (plan.User is not null)
                {
                    password = new SecureString();
                    foreach (var ch in options.Password ?? "")
                    {
                        password.AppendChar(ch);
                    }
                    password.MakeReadOnly();
                    var mechanism = plan.CredentialMechanism == "Negotiate" ? PasswordAuthenticationMechanism.Negotiate : PasswordAuthenticationMechanism.Default;
                    sessionOptions.AddDestinationCredentials(new CimCredential(mechanism, plan.Domain, plan.User, password));
                }
                session = CimSession.Create(computerName, sessionOptions);
            }
            return new MiCimSession(computerName, session, plan.Timeout);
        }
        catch (MiCimException e)
        {
            throw Translate(e, CimOperationText.Open(computerName));
        }
        finally
        {
            password?.Dispose();
        }
    }

    private static CimSessionOptions Options(MiSessionPlan plan)
    {
        if (plan.Protocol == CimProtocol.Dcom)
        {
            return new DComSessionOptions
            {
                Timeout = plan.Timeout,
                PacketPrivacy = plan.PacketPrivacy,
                PacketIntegrity = plan.PacketIntegrity,
                Impersonation = ImpersonationType.Impersonate,
            };
        }
        return new WSManSessionOptions
        {
            Timeout = plan.Timeout,
            DestinationPort = (uint)(plan.Port ?? MiSessionPlan.WsManHttpPort),
            UseSsl = plan.UseSsl,
            NoEncryption = !plan.Encrypted,
            CertCACheck = plan.CertificateChecks,
            CertCNCheck = plan.CertificateChecks,
            CertRevocationCheck = plan.CertificateChecks,
        };
    }

    private CimOperationOptions Options(CancellationToken cancellationToken) => new()
    {
        Timeout = _timeout,
        CancellationToken = cancellationToken,
    };

    public Task TestConnectionAsync(CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            if (!_session.TestConnection(out var instance, out var error))
            {
                using (error)
                {
                    throw error is null
                        ? new CimException(CimErrorCode.Unreachable, $"cannot reach {ComputerName}: the connection test failed without a reason")
                        : Translate(error, CimOperationText.TestConnection(ComputerName));
                }
            }
            instance?.Dispose();
        }, cancellationToken);

    public Task<IReadOnlyList<CimRecord>> QueryAsync(string cimNamespace, string wql, CancellationToken cancellationToken) =>
        Run(CimOperationText.Query(cimNamespace, wql), () =>
        {
            using var options = Options(cancellationToken);
            var records = new List<CimRecord>();
            foreach (var instance in _session.QueryInstances(cimNamespace, "WQL", wql, options))
            {
                lock (_gate)
                {
                    _handles.Add(instance);
                }
                records.Add(ToRecord(instance, keepHandle: true));
            }
            return (IReadOnlyList<CimRecord>)records;
        }, cancellationToken);

    public Task<CimMethodOutput> InvokeStaticAsync(string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
        Run(CimOperationText.Method(cimNamespace, className, method), () =>
        {
            using var options = Options(cancellationToken);
            using var parameters = Parameters(arguments);
            using var result = _session.InvokeMethod(cimNamespace, className, method, parameters, options);
            return ToOutput(result);
        }, cancellationToken);

    public Task<CimMethodOutput> InvokeAsync(string cimNamespace, CimRecord instance, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
        Run(CimOperationText.Method(cimNamespace, instance.ClassName, method), () =>
        {
            if (instance.Handle is not MiCimInstance native)
            {
                throw new CimException(CimErrorCode.InvalidParameter, $"{instance.ClassName}.{method}: the instance did not come from this session");
            }
            using var options = Options(cancellationToken);
            using var parameters = Parameters(arguments);
            using var result = _session.InvokeMethod(cimNamespace, native, method, parameters, options);
            return ToOutput(result);
        }, cancellationToken);

    /// <summary>Runs one MI call on the thread pool; an MI failure becomes our classified <see cref="CimException"/>.</summary>
    private static Task<T> Run<T>(string what, Func<T> call, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            try
            {
                return call();
            }
            catch (MiCimException e)
            {
                throw Translate(e, what);
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
        var types = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in result.OutParameters)
        {
            outs.Add(new(p.Name, Convert(p.Value)));
            types[p.Name] = p.CimType.ToString();
        }
        var returnValue = result.ReturnValue;
        if (returnValue is not null)
        {
            types["ReturnValue"] = returnValue.CimType.ToString();
        }
        return new CimMethodOutput(CimRecord.ToInt64(returnValue?.Value), new CimRecord("__PARAMETERS", outs, cimTypes: types));
    }

    private static CimRecord ToRecord(MiCimInstance instance, bool keepHandle)
    {
        var props = new List<KeyValuePair<string, object?>>();
        var types = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in instance.CimInstanceProperties)
        {
            props.Add(new(p.Name, Convert(p.Value)));
            types[p.Name] = p.CimType.ToString();
        }
        return new CimRecord(instance.CimSystemProperties.ClassName, props, keepHandle ? instance : null, types);
    }

    private static object? Convert(object? value) => value switch
    {
        MiCimInstance i => ToRecord(i, keepHandle: false),
        MiCimInstance[] a => a.Select(i => ToRecord(i, keepHandle: false)).ToArray(),
        _ => value,
    };

    /// <summary>The failure as MI reported it, every ErrorData property kept, classified by its codes (never its text).</summary>
    private static CimException Translate(MiCimException e, string what)
    {
        var data = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        string? dataClass = null;
        if (e.ErrorData is { } errorData)
        {
            dataClass = errorData.CimSystemProperties.ClassName;
            foreach (var p in errorData.CimInstanceProperties)
            {
                data[p.Name] = p.Value is MiCimInstance or MiCimInstance[]? p.Value.ToString() : p.Value;
            }
        }
        var fault = new CimFault
        {
            NativeErrorCode = (int)e.NativeErrorCode,
            MessageId = e.MessageId,
            Message = e.Message,
            ErrorDataClass = dataClass,
            ErrorData = data,
            ExceptionType = e.GetType().FullName ?? nameof(MiCimException),
        };
        return CimErrorClassifier.ToException(fault, what, e);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var h in _handles)
            {
                h.Dispose();
            }
            _handles.Clear();
        }
        _session.Dispose();
    }
}
