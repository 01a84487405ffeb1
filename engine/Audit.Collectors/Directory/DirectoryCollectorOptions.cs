using System.Globalization;
using System.Text;

namespace Audit.Collectors.Directory;

/// <summary>
/// Where and how to read directory facts over LDAP. The password is never printed: <see cref="ToString"/> masks it,
/// and the collector never copies it into facts or messages.
/// </summary>
public sealed record DirectoryCollectorOptions
{
    public const int DefaultPageSize = 500;
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>ldap://host[:port] or ldaps://host[:port]. Any user info, path or query in the URI is ignored.</summary>
    public required Uri Server { get; init; }

    /// <summary>Search base; default: the rootDSE defaultNamingContext.</summary>
    public string? BaseDn { get; init; }

    /// <summary>Simple-bind user (UPN such as admin@lab.test, DOMAIN\user or a DN). Null: current identity or anonymous.</summary>
    public string? User { get; init; }

    /// <summary>The bind password. Never logged; use <see cref="DirectoryPasswordResolver"/> to obtain it.</summary>
    public string? Password { get; init; }

    /// <summary>PEM file of a private CA to trust (only that CA) for LDAPS and StartTLS. Null: the system trust store.</summary>
    public string? CaFile { get; init; }

    /// <summary>Upgrade an ldap:// connection with StartTLS before binding.</summary>
    public bool StartTls { get; init; }

    public int PageSize { get; init; } = DefaultPageSize;

    /// <summary>Time limit for connecting and for each LDAP operation.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>Bind as the current identity (Negotiate on Windows, Kerberos/GSSAPI with the credential cache on Linux) when no user is given.</summary>
    public bool UseCurrentIdentity { get; init; }

    /// <summary>The server URI reduced to scheme://host:port (no credentials, path or query): safe to record as the source.</summary>
    public string SafeSource => LdapEndpoint.SafeSource(Server);

    public override string ToString()
    {
        var b = new StringBuilder("DirectoryCollectorOptions { ");
        b.Append(CultureInfo.InvariantCulture, $"Server = {SafeSource}, BaseDn = {BaseDn}, User = {User}, ");
        b.Append(Password is null ? "Password = (none), " : "Password = ***, ");
        b.Append(CultureInfo.InvariantCulture, $"CaFile = {CaFile}, StartTls = {StartTls}, PageSize = {PageSize}, Timeout = {Timeout}, UseCurrentIdentity = {UseCurrentIdentity} }}");
        return b.ToString();
    }
}
