using System.Globalization;

namespace Audit.Collectors.Directory;

/// <summary>An LDAP server address taken from the options' URI.</summary>
internal sealed record LdapEndpoint(string Host, int Port, bool Ldaps)
{
    public const int LdapPort = 389;
    public const int LdapsPort = 636;

    public string Display => $"{(Ldaps ? "ldaps" : "ldap")}://{HostForUri}:{Port.ToString(CultureInfo.InvariantCulture)}";

    private string HostForUri => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;

    /// <summary>Parses ldap:// and ldaps:// URIs; returns null with a reason for anything else.</summary>
    public static LdapEndpoint? TryParse(Uri server, out string? problem)
    {
        problem = null;
        if (!server.IsAbsoluteUri)
        {
            problem = "the server must be an absolute ldap:// or ldaps:// URI";
            return null;
        }
        var ldaps = string.Equals(server.Scheme, "ldaps", StringComparison.OrdinalIgnoreCase);
        if (!ldaps && !string.Equals(server.Scheme, "ldap", StringComparison.OrdinalIgnoreCase))
        {
            problem = $"the scheme '{server.Scheme}' is not supported (use ldap:// or ldaps://)";
            return null;
        }
        var host = server.IdnHost;
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        if (string.IsNullOrEmpty(host))
        {
            problem = "the server URI names no host";
            return null;
        }
        var port = server.IsDefaultPort || server.Port <= 0 ? (ldaps ? LdapsPort : LdapPort) : server.Port;
        return new LdapEndpoint(host, port, ldaps);
    }

    /// <summary>scheme://host:port of a server URI: never user info, path or query.</summary>
    public static string SafeSource(Uri server)
    {
        var endpoint = TryParse(server, out _);
        if (endpoint is not null)
        {
            return endpoint.Display;
        }
        return server.IsAbsoluteUri ? $"{server.Scheme}://{server.IdnHost}" : "(invalid server URI)";
    }
}
