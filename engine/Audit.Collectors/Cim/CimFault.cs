using System.Globalization;

namespace Audit.Collectors.Cim;

/// <summary>
/// A CIM failure as the CIM layer reported it, before we classify it: MI's NativeErrorCode, MessageId and the
/// ErrorData instance (OMI_Error / MSFT_WmiError: error_Code, error_Type, error_Category, CIMStatusCode, ...), or the
/// type of a non-CIM exception the native layer threw. Recorded as is by <c>--record</c>, classified by
/// <see cref="CimErrorClassifier"/> the same way live and in replay.
/// </summary>
public sealed record CimFault
{
    /// <summary>MI_Result of the failure (1 failed, 2 access denied, 3 invalid namespace...); null for a non-CIM exception.</summary>
    public int? NativeErrorCode { get; init; }

    /// <summary>MI's MessageId (e.g. "HRESULT 0x80090322", "WsManError"), or null.</summary>
    public string? MessageId { get; init; }

    /// <summary>The error text, as the host or MI wrote it (localised on a non-English host: never matched on).</summary>
    public string Message { get; init; } = "";

    /// <summary>The class of the ErrorData instance (OMI_Error, MSFT_WmiError), or null when there was none.</summary>
    public string? ErrorDataClass { get; init; }

    /// <summary>Every property of the ErrorData instance, with its value (null kept apart from absent).</summary>
    public IReadOnlyDictionary<string, object?> ErrorData { get; init; } = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The .NET type of the exception (Microsoft.Management.Infrastructure.CimException, DllNotFoundException...).</summary>
    public string ExceptionType { get; init; } = "Microsoft.Management.Infrastructure.CimException";

    /// <summary>ErrorData's error_Code (an HRESULT or Win32 code), when it has one.</summary>
    public uint? ErrorCode => Unsigned(Data("error_Code"));

    /// <summary>ErrorData's error_Category (MI_ErrorCategory), when it has one.</summary>
    public int? ErrorCategory => (int?)Unsigned(Data("error_Category"));

    /// <summary>The HRESULT in MessageId ("HRESULT 0x80338126"), when MI put one there.</summary>
    public uint? MessageIdCode
    {
        get
        {
            var id = MessageId?.Trim();
            if (id is null)
            {
                return null;
            }
            var at = id.IndexOf("0x", StringComparison.OrdinalIgnoreCase);
            if (at < 0)
            {
                return null;
            }
            var hex = new string([.. id[(at + 2)..].TakeWhile(Uri.IsHexDigit)]);
            return uint.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v : null;
        }
    }

    private object? Data(string name) => ErrorData.TryGetValue(name, out var v) ? v : null;

    private static uint? Unsigned(object? value) => value switch
    {
        uint u => u,
        int i => unchecked((uint)i),
        ushort us => us,
        short s => unchecked((uint)s),
        byte b => b,
        long l when l is >= int.MinValue and <= uint.MaxValue => unchecked((uint)l),
        ulong ul when ul <= uint.MaxValue => (uint)ul,
        string s when s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && uint.TryParse(s[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var h) => h,
        string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n is >= int.MinValue and <= uint.MaxValue => unchecked((uint)n),
        _ => null,
    };
}

/// <summary>What a classified failure means for us: our error code, the named cause, and the one-line fix.</summary>
public sealed record CimErrorClass(CimErrorCode Code, string Cause, string? Fix);

/// <summary>
/// Classifies a <see cref="CimFault"/> by its codes, never by its text (Windows localises messages): first the
/// HRESULT / Win32 code in ErrorData's error_Code or in MessageId, then ErrorData's error_Category, then MI's
/// NativeErrorCode. The codes named here are Microsoft's (winerror.h, wsmerror.h: SEC_E_*, ERROR_WSMAN_*, RPC_S_*);
/// a code not named falls back to the category and the MI result, so a new code is at worst "failed", never
/// "unreachable" by accident.
/// </summary>
public static class CimErrorClassifier
{
    // Kerberos / SSPI (winerror.h).
    internal const uint SecLogonDenied = 0x8009030C;
    internal const uint SecUnknownCredentials = 0x8009030D;
    internal const uint SecNoCredentials = 0x8009030E;
    internal const uint SecNoAuthenticatingAuthority = 0x80090311;
    internal const uint SecWrongPrincipal = 0x80090322;
    internal const uint SecTimeSkew = 0x80090324;
    internal const uint SecTargetUnknown = 0x80090303;
    internal const uint SecUntrustedRoot = 0x80090325;
    internal const uint SecCertExpired = 0x80090328;
    internal const uint CertCnNoMatch = 0x800B010F;
    internal const uint CertUntrustedRoot = 0x800B0109;
    internal const uint WinHttpSecureFailure = 0x80072F8F;
    internal const uint LogonFailure = 0x8007052E;
    internal const uint AccessDeniedHresult = 0x80070005;
    // WinRM (wsmerror.h).
    internal const uint WsmanDestinationUnreachable = 0x80338012;
    internal const uint WsmanOperationTimedOut = 0x80338029;
    internal const uint WsmanServerNotTrusted = 0x803380E4;
    internal const uint WsmanNetworkTimedOut = 0x80338126;
    internal const uint WsmanNameNotResolved = 0x803381B9;
    // DCOM / RPC and WinHTTP.
    internal const uint RpcServerUnavailable = 0x800706BA;
    internal const uint RpcCallFailed = 0x800706BE;
    internal const uint WinHttpTimeout = 0x80072EE2;
    internal const uint WinHttpNameNotResolved = 0x80072EE7;
    internal const uint WinHttpCannotConnect = 0x80072EFD;

    // MI_ErrorCategory (mi.h).
    internal const int CategoryOperationTimeout = 15;
    internal const int CategoryAccessDenied = 18;
    internal const int CategoryResourceBusy = 19;
    internal const int CategoryResourceUnavailable = 21;
    internal const int CategorySecurityError = 25;
    internal const int CategoryConnectionError = 27;
    internal const int CategoryAuthenticationError = 28;
    internal const int CategoryLimitsExceeded = 29;

    private const string KerberosFix = "use the host's DNS name (not an IP address) so Kerberos applies, check that 'setspn -Q HTTP/HOST' names the host's computer account (not a service account of IIS or SQL), and that this machine's clock is within 5 minutes of the domain's";

    private static readonly Dictionary<uint, CimErrorClass> ByCode = new()
    {
        [SecLogonDenied] = new(CimErrorCode.AuthenticationFailed, "SEC_E_LOGON_DENIED", "the user name or password was refused: check --user (DOMAIN\\user) and its password, and that the account is not locked or expired"),
        [LogonFailure] = new(CimErrorCode.AuthenticationFailed, "ERROR_LOGON_FAILURE", "the user name or password was refused: check --user (DOMAIN\\user) and its password, and that the account is not locked or expired"),
        [SecUnknownCredentials] = new(CimErrorCode.AuthenticationFailed, "SEC_E_UNKNOWN_CREDENTIALS", "the credentials were not understood: give --user as DOMAIN\\user or user@domain"),
        [SecNoCredentials] = new(CimErrorCode.AuthenticationFailed, "SEC_E_NO_CREDENTIALS", "no Kerberos credentials: run as a domain account (klist shows a ticket) or give --user DOMAIN\\user"),
        [SecNoAuthenticatingAuthority] = new(CimErrorCode.AuthenticationFailed, "SEC_E_NO_AUTHENTICATING_AUTHORITY", "no domain controller could be reached to authenticate: check DNS and the path to a DC, or give --user for the host's domain"),
        [SecWrongPrincipal] = new(CimErrorCode.AuthenticationFailed, "SEC_E_WRONG_PRINCIPAL", KerberosFix),
        [SecTargetUnknown] = new(CimErrorCode.AuthenticationFailed, "SEC_E_TARGET_UNKNOWN", KerberosFix),
        [SecTimeSkew] = new(CimErrorCode.AuthenticationFailed, "SEC_E_TIME_SKEW", "this machine's clock differs from the domain's by more than Kerberos allows (5 minutes): fix time synchronisation (w32tm /resync)"),
        [WsmanServerNotTrusted] = new(CimErrorCode.AuthenticationFailed, "ERROR_WSMAN_SERVER_NOT_TRUSTED", "Kerberos cannot be used for this name (an IP address, or this machine is not in the host's domain): use the host's DNS name, or --https, or on this machine: Set-Item WSMan:\\localhost\\Client\\TrustedHosts -Value 'HOST' -Concatenate"),
        [AccessDeniedHresult] = new(CimErrorCode.AccessDenied, "E_ACCESSDENIED", null),
        [SecUntrustedRoot] = new(CimErrorCode.CertificateRejected, "SEC_E_UNTRUSTED_ROOT", "the host's HTTPS certificate is not issued by a CA this machine trusts: import the issuing CA into Trusted Root Certification Authorities"),
        [CertUntrustedRoot] = new(CimErrorCode.CertificateRejected, "CERT_E_UNTRUSTEDROOT", "the host's HTTPS certificate is not issued by a CA this machine trusts: import the issuing CA into Trusted Root Certification Authorities"),
        [SecCertExpired] = new(CimErrorCode.CertificateRejected, "SEC_E_CERT_EXPIRED", "the host's HTTPS certificate has expired: renew it and rebind the WinRM HTTPS listener (winrm set winrm/config/listener?Address=*+Transport=HTTPS @{CertificateThumbprint=\"...\"})"),
        [CertCnNoMatch] = new(CimErrorCode.CertificateRejected, "CERT_E_CN_NO_MATCH", "the host's HTTPS certificate does not name the host as given: use the name in the certificate, or reissue it with the host's FQDN"),
        [WinHttpSecureFailure] = new(CimErrorCode.CertificateRejected, "ERROR_WINHTTP_SECURE_FAILURE", "the host's HTTPS certificate was refused (untrusted CA, wrong name, expired or revoked): check it with Test-WSMan -UseSSL from this machine"),
        [WsmanDestinationUnreachable] = new(CimErrorCode.Unreachable, "ERROR_WSMAN_DESTINATION_UNREACHABLE", "WinRM does not answer: on the host run 'winrm quickconfig' (or Enable-PSRemoting -Force) and allow TCP 5985 (5986 for --https) from this machine in its firewall"),
        [WsmanNetworkTimedOut] = new(CimErrorCode.Unreachable, "ERROR_WSMAN_NETWORK_TIMEDOUT", "no answer from WinRM within the time limit: check the name resolves to the host, the host is up, and its firewall allows TCP 5985 (5986 for --https) from this machine ('Windows Remote Management (HTTP-In)')"),
        [WsmanNameNotResolved] = new(CimErrorCode.Unreachable, "ERROR_WSMAN_NAME_NOT_RESOLVED", "the host name does not resolve: check the name in the inventory and DNS (Resolve-DnsName HOST)"),
        [WinHttpNameNotResolved] = new(CimErrorCode.Unreachable, "ERROR_WINHTTP_NAME_NOT_RESOLVED", "the host name does not resolve: check the name in the inventory and DNS (Resolve-DnsName HOST)"),
        [WinHttpCannotConnect] = new(CimErrorCode.Unreachable, "ERROR_WINHTTP_CANNOT_CONNECT", "the WinRM port refused the connection: on the host run 'winrm quickconfig' and allow TCP 5985 (5986 for --https) from this machine"),
        [WinHttpTimeout] = new(CimErrorCode.Unreachable, "ERROR_WINHTTP_TIMEOUT", "no answer from the host: check it is up and its firewall allows TCP 5985 (5986 for --https) from this machine"),
        [RpcServerUnavailable] = new(CimErrorCode.Unreachable, "RPC_S_SERVER_UNAVAILABLE", "DCOM does not answer: allow WMI through the host's firewall (Enable-NetFirewallRule -DisplayGroup 'Windows Management Instrumentation (WMI)'), or use WinRM (drop --dcom)"),
        [RpcCallFailed] = new(CimErrorCode.Unreachable, "RPC_S_CALL_FAILED", "the DCOM call was cut off: check the host is up and the network path, or use WinRM (drop --dcom)"),
        [WsmanOperationTimedOut] = new(CimErrorCode.Timeout, "ERROR_WSMAN_OPERATION_TIMEDOUT", "the host did not finish the operation in time: raise --operation-timeout, and check the host's load (WmiPrvSE.exe)"),
    };

    /// <summary>The one-line fix for an error code when no more specific cause is known.</summary>
    public static string? FixFor(CimErrorCode code, bool dcom = false) => code switch
    {
        CimErrorCode.AccessDenied => dcom
            ? "the account may not read this: make it a member of the host's Administrators (or grant 'Remote Enable' on the namespace in wmimgmt.msc and DCOM remote access); root/virtualization/v2 also needs Hyper-V Administrators"
            : "the account may not read this: make it a member of the host's Administrators (or of Remote Management Users with 'Remote Enable' on the namespace in wmimgmt.msc); root/virtualization/v2 also needs Hyper-V Administrators",
        CimErrorCode.AuthenticationFailed => "authentication failed: check --user and its password, use the host's DNS name for Kerberos",
        CimErrorCode.CertificateRejected => "the host's HTTPS certificate was refused: check it with Test-WSMan -UseSSL from this machine",
        CimErrorCode.Unreachable => dcom
            ? "DCOM does not answer: allow WMI through the host's firewall (Enable-NetFirewallRule -DisplayGroup 'Windows Management Instrumentation (WMI)')"
            : "WinRM does not answer: on the host run 'winrm quickconfig' and allow TCP 5985 (5986 for --https) from this machine",
        CimErrorCode.Timeout => "the host did not answer in time: check it is up and not overloaded; raise --operation-timeout if it is slow",
        CimErrorCode.ServerLimitsExceeded or CimErrorCode.ServerIsShuttingDown => "the host's WMI is busy or restarting: run again later",
        CimErrorCode.PlatformNotSupported => "collect on a Windows machine (the MI client library is missing or cannot load here)",
        _ => null,
    };

    /// <summary>Classifies <paramref name="fault"/>: by HRESULT, then MI error category, then MI result code.</summary>
    public static CimErrorClass Classify(CimFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        if (fault.NativeErrorCode is null)
        {
            // Not a CIM failure at all: the native MI layer could not load or threw something of its own.
            return new CimErrorClass(CimErrorCode.PlatformNotSupported, fault.ExceptionType, FixFor(CimErrorCode.PlatformNotSupported));
        }
        foreach (var code in new[] { fault.ErrorCode, fault.MessageIdCode })
        {
            if (code is { } c && ByCode.TryGetValue(c, out var known))
            {
                return known.Code == CimErrorCode.AccessDenied ? known with { Fix = FixFor(CimErrorCode.AccessDenied) } : known;
            }
        }
        var category = fault.ErrorCategory switch
        {
            CategoryAuthenticationError or CategorySecurityError => CimErrorCode.AuthenticationFailed,
            CategoryAccessDenied => CimErrorCode.AccessDenied,
            CategoryConnectionError => CimErrorCode.Unreachable,
            CategoryOperationTimeout => CimErrorCode.Timeout,
            CategoryResourceBusy or CategoryLimitsExceeded => CimErrorCode.ServerLimitsExceeded,
            _ => (CimErrorCode?)null,
        };
        var native = fault.NativeErrorCode.Value;
        var result = Enum.IsDefined(typeof(CimErrorCode), native) && native < 1000 ? (CimErrorCode)native : CimErrorCode.Failed;
        // A specific MI result (invalid namespace, class, query...) says more than a category; "failed" says less.
        var chosen = result == CimErrorCode.Failed && category is { } cat ? cat : result;
        var cause = fault.ErrorCode is { } hr ? string.Create(CultureInfo.InvariantCulture, $"0x{hr:X8}") : chosen.ToString();
        return new CimErrorClass(chosen, cause, FixFor(chosen));
    }

    /// <summary>The exception our collectors see for <paramref name="fault"/>: classified code, what was asked, the host's text.</summary>
    public static CimException ToException(CimFault fault, string what, Exception? inner = null)
    {
        ArgumentNullException.ThrowIfNull(fault);
        var c = Classify(fault);
        var native = fault.NativeErrorCode is { } n ? ((CimErrorCode)n).ToString() : fault.ExceptionType;
        var detail = c.Cause == native || c.Cause == c.Code.ToString() ? native : $"{native}, {c.Cause}";
        return new CimException(c.Code, $"{what}: {detail}: {fault.Message.Trim()}", inner) { Fault = fault, Cause = c.Cause, Fix = c.Fix };
    }
}

/// <summary>How an operation is named in messages: one wording for the live session, the recorder and the replay.</summary>
public static class CimOperationText
{
    public static string Open(string host) => $"cannot open a CIM session to {host}";
    public static string TestConnection(string host) => $"cannot reach {host}";
    public static string Query(string cimNamespace, string wql) => $"{cimNamespace}: {wql}";
    public static string Method(string cimNamespace, string className, string method) => $"{cimNamespace}: {className}.{method}";
}
