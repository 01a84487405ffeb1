using Audit.Collectors.Cim;
using Audit.Collectors.Inventory;
using Audit.Core;

namespace Audit.Collectors.Tests.Inventory;

public sealed class HostAddressTests
{
    [Theory]
    [InlineData("hv1", "hv1", null)]
    [InlineData("hv1.lab.test:5986", "hv1.lab.test", 5986)]
    [InlineData("127.0.0.1:40123", "127.0.0.1", 40123)]
    [InlineData(" 10.0.0.5 ", "10.0.0.5", null)]
    [InlineData("[::1]:5985", "::1", 5985)]
    [InlineData("[fe80::1]", "fe80::1", null)]
    [InlineData("::1", "::1", null)]
    [InlineData("2001:db8::7", "2001:db8::7", null)]
    [InlineData("hv1:1", "hv1", 1)]
    [InlineData("hv1:65535", "hv1", 65535)]
    public void Host_host_port_and_bracketed_IPv6_are_read(string text, string host, int? port)
    {
        var a = HostAddress.Parse(text);
        Assert.Equal(host, a.Host);
        Assert.Equal(port, a.Port);
    }

    [Theory]
    [InlineData("hv1:", "the port '' is not a number from 1 to 65535")]
    [InlineData("hv1:0", "the port '0' is not a number")]
    [InlineData("hv1:65536", "the port '65536' is not a number")]
    [InlineData("hv1:+80", "the port '+80' is not a number")]
    [InlineData("hv1:５９８６", "is not a number")]
    [InlineData("hv1:http", "the port 'http' is not a number")]
    [InlineData(":5986", "'' is not a host name or IP address")]
    [InlineData("hv_1:5986", "'hv_1' is not a host name or IP address")]
    [InlineData("[::1", "'[' without its ']'")]
    [InlineData("[::1]5986", "after ']' only ':PORT' may follow")]
    [InlineData("[hv1]:5986", "'hv1' in brackets is not an IPv6 address")]
    [InlineData("[10.0.0.1]:5986", "'10.0.0.1' in brackets is not an IPv6 address")]
    [InlineData("hv1:5986:1", "neither host:port nor an IPv6 address")]
    [InlineData("fe80::1:x", "neither host:port nor an IPv6 address")]
    [InlineData("", "an empty host entry")]
    public void A_bad_entry_is_refused_naming_the_entry_and_what_is_wrong(string text, string expected)
    {
        Assert.False(HostAddress.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        if (text.Trim().Length > 0)
        {
            Assert.StartsWith($"'{text.Trim()}' is not host, host:port or [IPv6]:port: ", error, StringComparison.Ordinal);
        }
        Assert.Throws<FormatException>(() => HostAddress.Parse(text));
    }

    [Theory]
    [InlineData("hv1")]
    [InlineData("hv1:5986")]
    [InlineData("[::1]:5986")]
    [InlineData("::1")]
    public void It_prints_as_it_is_written(string text) => Assert.Equal(text, HostAddress.Parse(text).ToString());

    [Fact]
    public void The_hosts_list_keeps_each_port_names_hosts_without_it_and_refuses_a_bad_entry_by_name()
    {
        var list = InventoryLoader.ParseList(["hv1:5986,hv2", "[::1]:6000"]);
        Assert.Equal(["hv1", "hv2", "::1"], list.Select(h => h.Name));
        Assert.Equal([5986, null, 6000], list.Select(h => h.Port));
        Assert.Equal("HV1", list[0].Identity().Name);
        var e = Assert.Throws<InputException>(() => InventoryLoader.ParseList(["hv1,hv2:99999"]));
        Assert.Equal("--hosts: 'hv2:99999' is not host, host:port or [IPv6]:port: the port '99999' is not a number from 1 to 65535", Assert.Single(e.Diagnostics).Message);
        // One host on two ports is still one host in the snapshot: refused, not collected twice.
        Assert.Throws<InputException>(() => InventoryLoader.ParseList(["hv1:5985,hv1:5986"]));
    }

    /// <summary>The host's own port reaches the session factory; the others keep the run's --port.</summary>
    [Fact]
    public async Task A_hosts_own_port_wins_over_the_runs_port()
    {
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, int?>();
        var factory = new PortProbe(seen);
        var hosts = InventoryLoader.ParseList(["hv1:40001,hv2"]);
        await new CollectionRunner(factory).RunAsync(hosts, new CollectionRunOptions { Connection = new CimConnectionOptions { Port = 5999 } });
        Assert.Equal(40001, seen["hv1"]);
        Assert.Equal(5999, seen["hv2"]);
    }

    private sealed class PortProbe(System.Collections.Concurrent.ConcurrentDictionary<string, int?> seen) : ICimSessionFactory
    {
        public Task<ICimSession> CreateAsync(string computerName, CimConnectionOptions options, CancellationToken cancellationToken)
        {
            seen[computerName] = options.Port;
            throw new CimException(CimErrorCode.Unreachable, "probe only");
        }
    }
}
