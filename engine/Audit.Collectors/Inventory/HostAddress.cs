using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Audit.Collectors.Inventory;

/// <summary>
/// One entry of --hosts: <c>host</c>, <c>host:port</c>, <c>IPv4:port</c>, <c>[IPv6]:port</c> or a bare IPv6 address
/// (<c>::1</c>, <c>fe80::1</c>: with a port it must be in brackets, since its own colons would be ambiguous). The port,
/// when given, is the WinRM port of that host alone and wins over --port. Parsed here, in the engine, so every front end
/// (command line, tests, a future service) reads addresses the same way.
/// </summary>
public readonly record struct HostAddress
{
    private HostAddress(string host, int? port)
    {
        Host = host;
        Port = port;
    }

    /// <summary>Host name, FQDN, IPv4 or IPv6 address (without brackets).</summary>
    public string Host { get; }

    /// <summary>This host's own port; null: --port, or the transport's default.</summary>
    public int? Port { get; }

    /// <summary>Parses one entry; the exception's message names the entry and says what is wrong with it.</summary>
    public static HostAddress Parse(string text) =>
        TryParse(text, out var address, out var error) ? address : throw new FormatException(error);

    public static bool TryParse(string? text, out HostAddress address, [NotNullWhen(false)] out string? error)
    {
        address = default;
        var entry = text?.Trim() ?? "";
        if (entry.Length == 0)
        {
            error = "an empty host entry";
            return false;
        }
        string host;
        string? port = null;
        if (entry.StartsWith('['))
        {
            var close = entry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = Bad(entry, "'[' without its ']' (write an IPv6 address with a port as [ADDRESS]:PORT)");
                return false;
            }
            host = entry[1..close];
            var rest = entry[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    error = Bad(entry, "after ']' only ':PORT' may follow");
                    return false;
                }
                port = rest[1..];
            }
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6 || host.Contains('[', StringComparison.Ordinal))
            {
                error = Bad(entry, $"'{host}' in brackets is not an IPv6 address");
                return false;
            }
        }
        else
        {
            var colons = entry.Count(c => c == ':');
            if (colons > 1)
            {
                // Only a bare IPv6 address has several colons; with a port it needs brackets.
                if (IPAddress.TryParse(entry, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 && !entry.Contains(']', StringComparison.Ordinal))
                {
                    address = new HostAddress(entry, null);
                    error = null;
                    return true;
                }
                error = Bad(entry, "neither host:port nor an IPv6 address (write an IPv6 address with a port as [ADDRESS]:PORT)");
                return false;
            }
            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            host = colon < 0 ? entry : entry[..colon];
            port = colon < 0 ? null : entry[(colon + 1)..];
            if (!InventoryLoader.IsValidName(host) || host.Contains(':', StringComparison.Ordinal))
            {
                error = Bad(entry, $"'{host}' is not a host name or IP address");
                return false;
            }
        }
        int? number = null;
        if (port is not null)
        {
            if (port.Length is 0 or > 5 || !port.All(char.IsAsciiDigit)
                || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 1 or > 65535)
            {
                error = Bad(entry, $"the port '{port}' is not a number from 1 to 65535");
                return false;
            }
            number = n;
        }
        address = new HostAddress(host, number);
        error = null;
        return true;
    }

    private static string Bad(string entry, string why) => $"'{entry}' is not host, host:port or [IPv6]:port: {why}";

    public override string ToString() =>
        Port is not { } p ? Host : Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{p.ToString(CultureInfo.InvariantCulture)}" : $"{Host}:{p.ToString(CultureInfo.InvariantCulture)}";
}
