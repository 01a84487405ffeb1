using System.Globalization;

namespace Audit.Collectors.Cim;

/// <summary>
/// One CIM instance as our collectors see it: class name and properties, detached from any CIM library.
/// Values are CIM scalars (string, bool, integer types, DateTime, TimeSpan), arrays of them, nested
/// <see cref="CimRecord"/> (embedded instances) or arrays of those. Accessors convert tolerantly between integer types.
/// </summary>
public sealed class CimRecord
{
    private readonly Dictionary<string, object?> _properties;
    private readonly Dictionary<string, string>? _cimTypes;

    public CimRecord(string className, IEnumerable<KeyValuePair<string, object?>> properties, object? handle = null, IReadOnlyDictionary<string, string>? cimTypes = null)
    {
        ClassName = className;
        _properties = new Dictionary<string, object?>(properties, StringComparer.OrdinalIgnoreCase);
        Handle = handle;
        _cimTypes = cimTypes is null ? null : new Dictionary<string, string>(cimTypes, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The CIM type the host declared for <paramref name="name"/> (UInt16, String, DateTime, StringArray, Instance...), when known.</summary>
    public string? CimTypeOf(string name) => _cimTypes is not null && _cimTypes.TryGetValue(name, out var t) ? t : null;

    public string ClassName { get; }

    public IReadOnlyDictionary<string, object?> Properties => _properties;

    /// <summary>The native instance (MI CimInstance) for instance-method calls; null for recorded data.</summary>
    public object? Handle { get; }

    public bool Has(string name) => _properties.ContainsKey(name);

    public object? this[string name] => _properties.TryGetValue(name, out var v) ? v : null;

    public string? GetString(string name) => this[name] switch
    {
        null => null,
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var o => o.ToString(),
    };

    public long? GetLong(string name) => ToInt64(this[name]);

    public int? GetInt(string name) => GetLong(name) is { } v && v is >= int.MinValue and <= int.MaxValue ? (int)v : null;

    public bool? GetBool(string name) => this[name] switch
    {
        bool b => b,
        string s when bool.TryParse(s, out var b) => b,
        _ => null,
    };

    public IReadOnlyList<string> GetStrings(string name) => this[name] switch
    {
        null => [],
        string s => [s],
        IEnumerable<string> e => [.. e],
        System.Collections.IEnumerable e => [.. e.Cast<object?>().Select(o => Convert.ToString(o, CultureInfo.InvariantCulture) ?? "")],
        var o => [Convert.ToString(o, CultureInfo.InvariantCulture) ?? ""],
    };

    public CimRecord? GetRecord(string name) => this[name] as CimRecord;

    public IReadOnlyList<CimRecord> GetRecords(string name) => this[name] switch
    {
        CimRecord r => [r],
        IEnumerable<CimRecord> e => [.. e],
        _ => [],
    };

    /// <summary>A CIM datetime: DateTime from MI, or an ISO 8601 / DMTF string from a recording.</summary>
    public DateTimeOffset? GetDateTime(string name) => this[name] switch
    {
        DateTimeOffset d => d,
        System.DateTime d => d.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(d, TimeSpan.Zero) : new DateTimeOffset(d.ToUniversalTime(), TimeSpan.Zero),
        string s => ParseDateTime(s),
        _ => null,
    };

    internal static long? ToInt64(object? value) => value switch
    {
        null => null,
        long l => l,
        int i => i,
        uint u => u,
        short s => s,
        ushort us => us,
        byte b => b,
        sbyte sb => sb,
        ulong ul when ul <= long.MaxValue => (long)ul,
        string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => null,
    };

    /// <summary>ISO 8601 or DMTF (yyyymmddHHMMSS.mmmmmmsUUU).</summary>
    internal static DateTimeOffset? ParseDateTime(string s)
    {
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d))
        {
            return d;
        }
        if (s.Length == 25 && (s[21] == '+' || s[21] == '-')
            && System.DateTime.TryParseExact(s[..21], "yyyyMMddHHmmss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            && int.TryParse(s[22..], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes))
        {
            var offset = TimeSpan.FromMinutes(s[21] == '-' ? -minutes : minutes);
            return new DateTimeOffset(local, offset).ToUniversalTime();
        }
        return null;
    }

    public override string ToString() => $"{ClassName} ({_properties.Count} properties)";
}

/// <summary>What a CIM method call returned: ReturnValue and the out parameters.</summary>
public sealed record CimMethodOutput(long? ReturnValue, CimRecord OutParameters);

/// <summary>CIM status codes (MI_Result / NativeErrorCode), plus our own codes for conditions the transport reports.</summary>
public enum CimErrorCode
{
    Failed = 1,
    AccessDenied = 2,
    InvalidNamespace = 3,
    InvalidParameter = 4,
    InvalidClass = 5,
    NotFound = 6,
    NotSupported = 7,
    NoSuchProperty = 12,
    InvalidQuery = 15,
    MethodNotAvailable = 16,
    MethodNotFound = 17,
    ServerLimitsExceeded = 27,
    ServerIsShuttingDown = 28,

    /// <summary>Ours: the operation did not finish within the per-operation timeout.</summary>
    Timeout = 1001,
    /// <summary>Ours: the host could not be reached or the session could not be created.</summary>
    Unreachable = 1002,
    /// <summary>Ours: live collection is not possible on this platform (or the native MI layer failed to load).</summary>
    PlatformNotSupported = 1003,
    /// <summary>Ours: the host refused who we are (Kerberos, NTLM, TrustedHosts): never retried.</summary>
    AuthenticationFailed = 1004,
    /// <summary>Ours: the host's HTTPS certificate was refused: never retried.</summary>
    CertificateRejected = 1005,
    /// <summary>Ours: a replayed recording holds no answer to this operation.</summary>
    NotRecorded = 1006,
}

/// <summary>A CIM operation failed with a status code. Messages never carry credentials.</summary>
public sealed class CimException : Exception
{
    public CimException()
    {
    }

    public CimException(string message) : base(message)
    {
    }

    public CimException(string message, Exception inner) : base(message, inner)
    {
    }

    public CimException(CimErrorCode code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    public CimErrorCode Code { get; } = CimErrorCode.Failed;

    /// <summary>The failure as the CIM layer reported it (codes and ErrorData), when it came from one; kept by --record.</summary>
    public CimFault? Fault { get; init; }

    /// <summary>The named cause (SEC_E_WRONG_PRINCIPAL, ERROR_WSMAN_SERVER_NOT_TRUSTED...), when the classifier knew it.</summary>
    public string? Cause { get; init; }

    /// <summary>The one-line fix for this failure, when one is known.</summary>
    public string? Fix { get; init; }

    /// <summary>Worth one retry: timeouts, unreachable hosts, a server shutting down or over its limits.</summary>
    public bool IsTransient => Code is CimErrorCode.Timeout or CimErrorCode.Unreachable or CimErrorCode.ServerIsShuttingDown or CimErrorCode.ServerLimitsExceeded;

    /// <summary>The namespace or class does not exist there: the fact family is unsupported on that host, not an error.</summary>
    public bool MeansAbsent => Code is CimErrorCode.InvalidNamespace or CimErrorCode.InvalidClass or CimErrorCode.NotSupported or CimErrorCode.MethodNotAvailable or CimErrorCode.MethodNotFound;
}
