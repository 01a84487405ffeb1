using System.Globalization;
using System.Text.RegularExpressions;

namespace Audit.Collectors.Tests.Directory;

/// <summary>
/// A network namespace of the test run's own, joined to the machine by a veth pair with a /30 from TEST-NET-1
/// (192.0.2.0/24, RFC 5737: reserved for documentation, never routed), so that a test server inside it binds no port of
/// the machine and cannot collide with what the machine runs. Named <c>audit-dc-PID-N</c>: a later run removes the
/// namespaces of runs whose process is gone (a killed test run), and nothing else. Needs root (CAP_NET_ADMIN) and
/// iproute2's <c>ip</c>.
/// </summary>
public sealed partial class TestNetwork : IAsyncDisposable
{
    private TestNetwork(string name, string outerAddress, string innerAddress)
    {
        Name = name;
        OuterAddress = outerAddress;
        InnerAddress = innerAddress;
    }

    /// <summary>The namespace's name (for <c>ip netns exec</c>).</summary>
    public string Name { get; }

    /// <summary>The machine's end of the veth pair.</summary>
    public string OuterAddress { get; }

    /// <summary>The namespace's end of the veth pair: where a server inside listens.</summary>
    public string InnerAddress { get; }

    public static async Task<TestNetwork> CreateAsync(string prefix)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException(
                "The Samba AD DC tests run the DC in a network namespace of their own, so that it binds no port of this machine; " +
                "creating one needs root (CAP_NET_ADMIN). Run ./test.sh as root or with sudo.");
        }
        await RemoveStaleAsync(prefix);
        var used = await SambaDcFixture.RunAsync("ip", "-o", "-4", "addr", "show");
        var pid = Environment.ProcessId;
        // 64 blocks of /30 in 192.0.2.0/24: start from one chosen by the process id, skip any block already configured.
        for (var i = 0; i < 64; i++)
        {
            var block = (pid + i) % 64 * 4;
            var outer = $"192.0.2.{block + 1}";
            var inner = $"192.0.2.{block + 2}";
            if (used.Contains(outer + "/", StringComparison.Ordinal) || used.Contains(inner + "/", StringComparison.Ordinal))
            {
                continue;
            }
            var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{pid}-{block}");
            var link = string.Create(CultureInfo.InvariantCulture, $"aud{pid % 100000}x{block}");
            var network = new TestNetwork(name, outer, inner) { _link = link };
            try
            {
                await SambaDcFixture.RunAsync("ip", "netns", "add", name);
                network._created = true;
                await SambaDcFixture.RunAsync("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", name);
                await SambaDcFixture.RunAsync("ip", "addr", "add", outer + "/30", "dev", link);
                await SambaDcFixture.RunAsync("ip", "link", "set", link, "up");
                await SambaDcFixture.RunAsync("ip", "-n", name, "addr", "add", inner + "/30", "dev", "eth0");
                await SambaDcFixture.RunAsync("ip", "-n", name, "link", "set", "eth0", "up");
                await SambaDcFixture.RunAsync("ip", "-n", name, "link", "set", "lo", "up");
                return network;
            }
            catch
            {
                await network.DisposeAsync();
                throw;
            }
        }
        throw new InvalidOperationException("every /30 of 192.0.2.0/24 is in use on this machine; no address for the test network");
    }

    private string _link = "";
    private bool _created;

    /// <summary>Deletes the namespace; the veth pair goes with it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_created)
        {
            return;
        }
        _created = false;
        try
        {
            await SambaDcFixture.RunAsync("ip", "netns", "del", Name);
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            // Normally gone with the namespace; a half-made pair is removed here.
            if ((await SambaDcFixture.RunAsync("ip", "-o", "link", "show")).Contains(" " + _link + "@", StringComparison.Ordinal))
            {
                await SambaDcFixture.RunAsync("ip", "link", "del", _link);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Namespaces named by this class for a process that no longer runs: left by a killed test run.</summary>
    private static async Task RemoveStaleAsync(string prefix)
    {
        var list = await SambaDcFixture.RunAsync("ip", "netns", "list");
        foreach (Match m in OwnName().Matches(list))
        {
            if (m.Groups["prefix"].Value != prefix || !int.TryParse(m.Groups["pid"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            if (!System.IO.Directory.Exists($"/proc/{pid}"))
            {
                await SambaDcFixture.RunAsync("ip", "netns", "del", m.Value);
            }
        }
    }

    [GeneratedRegex(@"^(?<prefix>[a-z-]+)-(?<pid>[0-9]+)-[0-9]+(?= |$)", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex OwnName();
}
