using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Audit.Cli;
using Audit.Collectors.Cim;
using Audit.Collectors.Recording;
using Audit.Collectors.Tests.Cim;
using Audit.Collectors.WsMan;
using Audit.Core;
using Audit.Tests.Common;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Tests.WsMan;

/// <summary>
/// Collection over our own WS-Management client, on Linux, against the WinRM stand-in on 127.0.0.1 (HTTPS with a
/// private CA, Basic authentication): every fact family gives the facts the replay of the same recording gives; wrong
/// credentials, an untrusted certificate, a closed port and a refused transport each give their own error class.
/// </summary>
public sealed class WsManTransportTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string User = "tester";
    private const string Password = "P@ss-w0rd-7e1";

    private static string Normalised(HostFacts h) =>
        JsonSerializer.Serialize(h with { Name = "X", Fqdn = null, Domain = null, Collection = [.. h.Collection.Select(c => c with { DurationMs = null })] }, AuditJson.Options);

    private static async Task<HostFacts> ReplayAsync(string recording)
    {
        var replay = new ReplayCimSessionFactory([CimRecording.Load(recording)]);
        return (await new CollectionRunner(replay).RunAsync(replay.Hosts, new CollectionRunOptions())).Hosts[0];
    }

    private static CimConnectionOptions Connection(string caFile, int port, string password = Password) => new()
    {
        UseSsl = true,
        Port = port,
        CaFile = caFile,
        Authentication = WsManAuthentication.Basic,
        User = User,
        Password = password,
        OperationTimeout = TimeSpan.FromSeconds(20),
    };

    [Theory]
    [InlineData("hv2012-cluster-node")]
    [InlineData("hv2016-standalone-not-clustered")]
    [InlineData("hv2012-access-denied-one-class")]
    [InlineData("server-without-hyperv")]
    public async Task Every_family_over_WS_Management_gives_what_the_replay_of_the_same_recording_gives(string recording)
    {
        await using var lab = await WinRmLab.StartAsync(CimRecording.Load(recording), User, Password);
        var standIn = lab.StandIn;

        using var factory = new WsManCimSessionFactory();
        var options = new CollectionRunOptions { Connection = Connection(lab.CaFile, lab.Port) };
        var result = await new CollectionRunner(factory).RunAsync([new InventoryHost { Name = "localhost" }], options);
        var overWsMan = result.Hosts[0];
        var expected = await ReplayAsync(recording);
        Assert.Equal(Normalised(expected), Normalised(overWsMan));
        Assert.Equal(0, standIn.OpenEnumerations);
        // The client's messages have the shape of a real client's (addressing headers, WMI resource URI, WQL filter, namespace selector).
        var enumerate = standIn.Received.First(r => r.Contains("enumeration/Enumerate<", StringComparison.Ordinal));
        Assert.Contains("<w:ResourceURI s:mustUnderstand=\"true\">http://schemas.microsoft.com/wbem/wsman/1/wmi/root/", enumerate, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<w:Filter Dialect=\"http://schemas.microsoft.com/wbem/wsman/1/WQL\">", enumerate, StringComparison.Ordinal);
        Assert.Contains("<w:Selector Name=\"__cimnamespace\">", enumerate, StringComparison.Ordinal);
        Assert.Contains("<w:OptimizeEnumeration />", enumerate, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 17's done-when command, as written: audit collect --transport wsman --hosts 127.0.0.1:PORT --https --ca ...
    /// (Basic with a local account: Kerberos needs a host name its SPN uses), then audit evaluate on that snapshot.
    /// </summary>
    [Fact]
    public async Task Collect_over_wsman_with_host_colon_port_from_the_command_line_then_evaluate_on_Linux()
    {
        await using var lab = await WinRmLab.StartAsync(CimRecording.Load("hv2012-cluster-node"), User, Password);
        var (dir, standIn) = (lab.Dir, lab.StandIn);
        var env = new CliEnvironment
        {
            CurrentDirectory = dir.Path,
            Clock = () => new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero),
            GetVariable = n => n == "WINRM_PW" ? Password : null,
            CanCollectCim = false,
        };
        var o = new StringWriter();
        var e = new StringWriter();
        var hostPort = "127.0.0.1:" + standIn.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var code = CliApp.Run(["collect", "--transport", "wsman", "--hosts", hostPort, "--https", "--ca", "ca.pem",
            "--auth", "basic", "--user", User, "--password-env", "WINRM_PW", "--out", "snap.json"], o, e, env);
        Assert.True(code == ExitCodes.Compliant, $"exit {code}\n{o}\n{e}");
        Assert.True(standIn.Requests > 10, $"{standIn.Requests} requests reached the stand-in");
        var text = File.ReadAllText(dir.File("snap.json"));
        Assert.DoesNotContain(Password, text + o + e, StringComparison.Ordinal);
        var snapshot = SnapshotLoader.Load(dir.File("snap.json")).Value;
        var host = snapshot.Hosts.Single();
        Assert.Equal("127.0.0.1", host.Name);
        Assert.All(host.Collection, c => Assert.Equal(CollectionState.Ok, c.Status));
        Assert.Equal(Normalised(await ReplayAsync("hv2012-cluster-node")), Normalised(host));

        var eo = new StringWriter();
        var ee = new StringWriter();
        var evaluated = CliApp.Run(["evaluate", "--snapshot", "snap.json", "--rules", RepoPaths.Rules, "--out", "out", "--format", "json"], eo, ee, env);
        Assert.True(evaluated is ExitCodes.Compliant or ExitCodes.Failed, $"exit {evaluated}\n{ee}");
        var results = ResultsLoader.Load(dir.File("out/results.json")).Value;
        Assert.Contains(results.Results, v => v.Entity.Key == "127.0.0.1/LEGACY-XP" && v.RuleId == "HV-IS-001" && v.Outcome == Outcome.Pass);
        // The host's only errors are the recording's own: OFF01's disk could not be read (GetVirtualHardDiskSettingData failed), as in the replay.
        var errors = results.Results.Where(v => v.Outcome == Outcome.Error && v.Host == "127.0.0.1").ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, v => Assert.Equal("127.0.0.1/OFF01", v.Entity.Key));
    }

    /// <summary>Issue 17: off Windows the default transport is wsman; no --transport needed.</summary>
    [Fact]
    public async Task Off_Windows_wsman_is_the_default_transport()
    {
        await using var lab = await WinRmLab.StartAsync(CimRecording.Load("server-without-hyperv"), User, Password);
        var env = new CliEnvironment { CurrentDirectory = lab.Dir.Path, GetVariable = n => n == "WINRM_PW" ? Password : null, CanCollectCim = false };
        var e = new StringWriter();
        var code = CliApp.Run(["collect", "--hosts", "127.0.0.1:" + lab.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--https", "--ca", "ca.pem",
            "--auth", "basic", "--user", User, "--password-env", "WINRM_PW", "--out", "snap.json"], new StringWriter(), e, env);
        Assert.True(code == ExitCodes.Compliant, $"exit {code}\n{e}");
        Assert.True(lab.StandIn.Requests > 0);
    }

    [Theory]
    [InlineData("127.0.0.1:0", "'127.0.0.1:0' is not host, host:port or [IPv6]:port: the port '0' is not a number from 1 to 65535")]
    [InlineData("hv1,[::1:5986", "'[::1:5986' is not host, host:port or [IPv6]:port: '[' without its ']'")]
    [InlineData("hv1:59a6", "'hv1:59a6' is not host, host:port or [IPv6]:port: the port '59a6' is not a number from 1 to 65535")]
    public void A_bad_hosts_entry_is_a_usage_error_naming_it(string hosts, string expected)
    {
        using var dir = new TempDir();
        var e = new StringWriter();
        var code = CliApp.Run(["collect", "--transport", "wsman", "--hosts", hosts, "--https", "--out", "snap.json"], new StringWriter(), e, new CliEnvironment { CurrentDirectory = dir.Path, CanCollectCim = false });
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--hosts: " + expected, e.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("snap.json")));
    }

    [Fact]
    public async Task A_wrong_password_is_authentication_with_a_fix_not_unreachable_and_is_tried_once()
    {
        await using var lab = await WinRmLab.StartAsync(CimRecording.Load("hv2012-cluster-node"), User, Password);
        var standIn = lab.StandIn;
        using var factory = new WsManCimSessionFactory();
        var result = await new CollectionRunner(factory).RunAsync([new InventoryHost { Name = "localhost" }],
            new CollectionRunOptions { Connection = Connection(lab.CaFile, lab.Port, password: "wrong") });
        Assert.Equal(1, standIn.Requests);
        Assert.All(result.Hosts[0].Collection, c =>
        {
            Assert.Equal((int)CimErrorCode.AuthenticationFailed, c.ErrorCode);
            Assert.Contains("HTTP 401", c.Message, StringComparison.Ordinal);
            Assert.Contains("fix: check --user", c.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_certificate_from_another_CA_is_rejected_and_nothing_is_sent()
    {
        await using var lab = await WinRmLab.StartAsync(CimRecording.Load("hv2012-cluster-node"), User, Password);
        var standIn = lab.StandIn;
        var (otherCa, otherServer) = WinRmStandIn.Certificates();
        using var _ = otherCa;
        using var __ = otherServer;
        File.WriteAllText(lab.Dir.File("other-ca.pem"), otherCa.ExportCertificatePem());
        using var factory = new WsManCimSessionFactory();
        var result = await new CollectionRunner(factory).RunAsync([new InventoryHost { Name = "localhost" }],
            new CollectionRunOptions { Connection = Connection(lab.Dir.File("other-ca.pem"), lab.Port) });
        Assert.Equal(0, standIn.Requests); // the password never left
        Assert.All(result.Hosts[0].Collection, c => Assert.Equal((int)CimErrorCode.CertificateRejected, c.ErrorCode));
    }

    [Fact]
    public async Task A_closed_port_is_unreachable_with_the_listener_fix()
    {
        using var dir = new TempDir();
        var (ca, server) = WinRmStandIn.Certificates();
        using var _ = ca;
        using var __ = server;
        File.WriteAllText(dir.File("ca.pem"), ca.ExportCertificatePem());
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var factory = new WsManCimSessionFactory();
        var result = await new CollectionRunner(factory).RunAsync([new InventoryHost { Name = "localhost" }],
            new CollectionRunOptions { Connection = Connection(dir.File("ca.pem"), port) });
        var os = result.Hosts[0].Collection[0];
        Assert.Equal((int)CimErrorCode.Unreachable, os.ErrorCode);
        Assert.Contains("winrm quickconfig -transport:https", os.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "tester", "Basic authentication over plain HTTP would send the password in clear text")]
    [InlineData(true, null, "Basic authentication needs --user")]
    public async Task What_this_transport_cannot_do_safely_is_refused_per_host_with_the_way_forward(bool https, string? user, string expected)
    {
        using var factory = new WsManCimSessionFactory();
        var result = await new CollectionRunner(factory).RunAsync([new InventoryHost { Name = "localhost" }],
            new CollectionRunOptions { Connection = new CimConnectionOptions { UseSsl = https, User = user, Password = user is null ? null : Password, Authentication = WsManAuthentication.Basic } });
        var os = result.Hosts[0].Collection[0];
        Assert.Equal((int)CimErrorCode.PlatformNotSupported, os.ErrorCode);
        Assert.Contains(expected, os.Message, StringComparison.Ordinal);
        Assert.Contains("fix:", os.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_over_plain_HTTP_is_never_sent()
    {
        await using var lab = await WinRmLab.StartAsync(CimRecording.Load("hv2012-cluster-node"), "tester", "P@ss-w0rd-7e1", plainHttp: true);
        await using var proxy = new CapturingProxy(lab.Port);
        proxy.Start();
        using var factory = new WsManCimSessionFactory();
        var result = await new CollectionRunner(factory).RunAsync([new InventoryHost { Name = "localhost" }], new CollectionRunOptions
        {
            Connection = new CimConnectionOptions { UseSsl = false, Port = proxy.Port, User = "tester", Password = "P@ss-w0rd-7e1", Authentication = WsManAuthentication.Basic },
        });
        Assert.Equal(0, proxy.Connections);
        Assert.All(result.Hosts[0].Collection, c => Assert.Equal((int)CimErrorCode.PlatformNotSupported, c.ErrorCode));
    }

    /// <summary>
    /// Measurement, printed not asserted (this machine is shared): 256 hosts over WS-Management, 16-way, the stand-in
    /// answering every request after AUDIT_WSMAN_LATENCY_MS (default 20 ms), against the ideal (hosts / 16) x one host's time.
    /// </summary>
    [Fact]
    public async Task Fan_out_measurement_256_hosts_16_way_over_WS_Management()
    {
        var latencyMs = int.TryParse(Environment.GetEnvironmentVariable("AUDIT_WSMAN_LATENCY_MS"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var l) ? l : 20;
        await using var lab = await WinRmLab.StartAsync(CimRecording.Load("hv2012-cluster-node"), User, Password, latency: TimeSpan.FromMilliseconds(latencyMs));
        var standIn = lab.StandIn;
        using var factory = new WsManCimSessionFactory();
        var options = new CollectionRunOptions { Parallel = 16, Connection = Connection(lab.CaFile, lab.Port) };
        var runner = new CollectionRunner(factory);
        static List<InventoryHost> Hosts(int n) => [.. Enumerable.Range(0, n).Select(_ => new InventoryHost { Name = "localhost" })];

        await runner.RunAsync(Hosts(2), options); // warm-up: JIT, TLS session
        var one = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
        {
            await runner.RunAsync(Hosts(1), options);
        }
        var perHost = one.Elapsed / 3;
        var requestsBefore = standIn.Requests;
        var all = System.Diagnostics.Stopwatch.StartNew();
        var result = await runner.RunAsync(Hosts(256), options);
        all.Stop();
        var ideal = perHost * 256 / 16;
        output.WriteLine(System.FormattableString.Invariant($"WS-Man stand-in latency {latencyMs} ms per request; one host {perHost.TotalMilliseconds:F0} ms ({(standIn.Requests - requestsBefore) / 256.0:F1} requests per host); 256 hosts 16-way {all.Elapsed.TotalSeconds:F2} s vs ideal {ideal.TotalSeconds:F2} s: {all.Elapsed / ideal:F2}x"));
        Assert.Equal(256, result.Hosts.Count);
        Assert.All(result.Hosts, h => Assert.DoesNotContain(h.Collection, c => c.Status == CollectionState.Error && c.Collector != FactFamilies.Vms));
    }
}
