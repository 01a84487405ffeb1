using Audit.Collectors.Cim;
using Audit.Collectors.Tests.Cim;
using Audit.Collectors.Tests.Directory;
using Audit.Collectors.WsMan;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Tests.WsMan;

/// <summary>
/// Kerberos over WS-Management against a real KDC: the Samba AD DC the LDAP tests start (in its own network
/// namespace) issues the tickets; the stand-in accepts them with the keytab of HTTP/localhost exported from that DC.
/// A good password collects; a wrong password and a principal the KDC does not know are authentication failures with
/// their fix, found before anything is sent to the host.
/// </summary>
[Collection(SambaDcDefinition.Name)]
public sealed class WsManKerberosTests(SambaDcFixture dc, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly Lock EnvironmentGate = new();

    /// <summary>
    /// GSSAPI reads these from the process's native environment (.NET's SetEnvironmentVariable does not reach it on
    /// Unix): this KDC's krb5.conf, the stand-in's keytab, an in-memory ticket cache. Only this test process's.
    /// </summary>
    private void UseTestRealm(string cache)
    {
        lock (EnvironmentGate)
        {
            foreach (var (name, value) in new[] { ("KRB5_CONFIG", dc.Krb5Conf), ("KRB5_KTNAME", "FILE:" + dc.StandInKeytab), ("KRB5CCNAME", cache) })
            {
                Assert.Equal(0, NativeMethods.setenv(name, value, 1));
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc.so.6", SetLastError = true)]
        [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
#pragma warning disable CA2101, SYSLIB1054 // one libc call in a test; UTF-8 marshalling stated
        internal static extern int setenv([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string name, [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string value, int overwrite);
#pragma warning restore CA2101, SYSLIB1054
    }

    private async Task<(HostFacts Host, WinRmLab Lab)> CollectAsync(string host, string user, string password)
    {
        UseTestRealm("MEMORY:audit-wsman-tests");
        var lab = await WinRmLab.StartAsync(CimRecording.Load("hv2012-cluster-node"), "unused", "unused-" + Guid.NewGuid(), acceptNegotiate: true);
        return (await RunAsync(lab, host, lab.Port, https: true, user, password), lab);
    }

    private static async Task<HostFacts> RunAsync(WinRmLab lab, string host, int port, bool https, string? user, string? password)
    {
        using var factory = new WsManCimSessionFactory();
        var options = new CollectionRunOptions
        {
            Connection = new CimConnectionOptions { UseSsl = https, Port = port, CaFile = https ? lab.CaFile : null, User = user, Password = password, OperationTimeout = TimeSpan.FromSeconds(20) },
        };
        var result = await new CollectionRunner(factory).RunAsync([new InventoryHost { Name = host }], options);
        return result.Hosts[0];
    }

    /// <summary>
    /// An expired ticket, honestly: a real TGT from the KDC (kinit -l 10s into a ticket cache of this test's own),
    /// then the test waits past its end time and collects as the current identity (that cache). Authentication failure
    /// with the kinit fix, never "unreachable", and nothing reaches the host.
    /// </summary>
    [Fact]
    public async Task An_expired_ticket_is_authentication_with_the_kinit_fix_not_unreachable()
    {
        using var dir = new Audit.Tests.Common.TempDir();
        var cache = "FILE:" + dir.File("krb5cc-short");
        var control = "FILE:" + dir.File("krb5cc-control");
        await KinitAsync(cache, "10s");
        await KinitAsync(control, "1h");
        await using (var controlLab = await WinRmLab.StartAsync(CimRecording.Load("hv2012-cluster-node"), "unused", "unused-" + Guid.NewGuid(), acceptNegotiate: true))
        {
            // The control: a ticket cache made the same way, not expired, collects as the current identity.
            UseTestRealm(control);
            var ok = await RunAsync(controlLab, "localhost", controlLab.Port, https: true, user: null, password: null);
            Assert.All(ok.Collection, c => Assert.True(c.Status == CollectionState.Ok, $"{c.Collector}: {c.Message}"));
        }
        var end = await TicketEndAsync(cache);
        Assert.True(end - DateTime.Now < TimeSpan.FromSeconds(15), $"the KDC gave a ticket until {end:O}, not 10 s");
        var wait = end - DateTime.Now + TimeSpan.FromSeconds(2);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        UseTestRealm(cache);
        await using var lab = await WinRmLab.StartAsync(CimRecording.Load("hv2012-cluster-node"), "unused", "unused-" + Guid.NewGuid(), acceptNegotiate: true);
        var host = await RunAsync(lab, "localhost", lab.Port, https: true, user: null, password: null);
        Assert.Equal(0, lab.StandIn.Requests);
        Assert.All(host.Collection, c =>
        {
            Assert.Equal((int)CimErrorCode.AuthenticationFailed, c.ErrorCode);
            Assert.Contains("fix: renew", c.Message, StringComparison.Ordinal);
            Assert.Contains("kinit", c.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("\n", c.Message ?? "", StringComparison.Ordinal);
        });
        output.WriteLine(host.Collection[0].Message);
    }

    private async Task KinitAsync(string cache, string lifetime)
    {
        var kinit = new System.Diagnostics.ProcessStartInfo("kinit", ["-l", lifetime, "-c", cache, $"{SambaDcFixture.KerberosUser}@{SambaDcFixture.Realm}"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        kinit.Environment["KRB5_CONFIG"] = dc.Krb5Conf;
        using var p = System.Diagnostics.Process.Start(kinit)!;
        await p.StandardInput.WriteLineAsync(dc.KerberosPassword);
        p.StandardInput.Close();
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"kinit failed: {err}\n{dc.SambaOutput()}");
    }

    /// <summary>The end time of the TGT in <paramref name="cache"/>, as klist prints it (local time).</summary>
    private async Task<DateTime> TicketEndAsync(string cache)
    {
        var klist = new System.Diagnostics.ProcessStartInfo("klist", ["-c", cache]) { RedirectStandardOutput = true, RedirectStandardError = true };
        klist.Environment["KRB5_CONFIG"] = dc.Krb5Conf;
        klist.Environment["LC_ALL"] = "C";
        using var p = System.Diagnostics.Process.Start(klist)!;
        var text = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        // "12/02/2026 08:15:00  12/02/2026 08:15:10  krbtgt/LAB.TEST@LAB.TEST"
        var line = text.Split('\n').First(l => l.Contains("krbtgt/", StringComparison.Ordinal));
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return DateTime.Parse(parts[2] + " " + parts[3], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Issue 17's byte capture: over plain HTTP with Kerberos, a TCP proxy in front of the stand-in keeps every byte
    /// both ways. Collection succeeds, every envelope went sealed, and neither the password nor a fact the collector
    /// fetched (VM names, KB numbers) nor the WQL it sent appears in clear on the wire, though the stand-in handled them
    /// (the control: the same strings are in what it received and answered before sealing).
    /// </summary>
    [Fact]
    public async Task Over_plain_HTTP_every_message_is_sealed_and_nothing_readable_crosses_the_wire()
    {
        UseTestRealm("MEMORY:audit-wsman-sealed");
        await using var lab = await WinRmLab.StartAsync(CimRecording.Load("hv2012-cluster-node"), "unused", "unused-" + Guid.NewGuid(), acceptNegotiate: true, plainHttp: true);
        await using var proxy = new CapturingProxy(lab.Port);
        proxy.Start();
        var host = await RunAsync(lab, "localhost", proxy.Port, https: false, $"{SambaDcFixture.KerberosUser}@{SambaDcFixture.Realm}", dc.KerberosPassword);
        Assert.All(host.Collection, c => Assert.True(c.Status == CollectionState.Ok, $"{c.Collector}: {c.Message}"));
        var standIn = lab.StandIn;
        Assert.Equal(0, standIn.RejectedPlaintext);
        Assert.True(standIn.SealedRequests > 10, $"{standIn.SealedRequests} sealed requests");
        Assert.Equal(standIn.Received.Count, standIn.SealedRequests);

        var (toHost, fromHost) = proxy.Captured();
        var wire = System.Text.Encoding.Latin1.GetString([.. toHost, .. fromHost]);
        Assert.Contains("multipart/encrypted;protocol=\"application/HTTP-Kerberos-session-encrypted\"", wire, StringComparison.Ordinal);
        Assert.Contains("Authorization: Negotiate ", wire, StringComparison.Ordinal);
        // Windows' layout for AES-SHA1 both ways: a 60-byte signature (16-byte header, RRC 28, confounder) before the data.
        foreach (var direction in new[] { toHost, fromHost })
        {
            var marker = "\tContent-Type: application/octet-stream\r\n"u8.ToArray();
            var lengths = new List<int>();
            for (var at = direction.AsSpan().IndexOf(marker); at >= 0;)
            {
                var start = at + marker.Length;
                lengths.Add(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(direction.AsSpan(start)));
                var next = direction.AsSpan(start).IndexOf(marker);
                at = next < 0 ? -1 : start + next;
            }
            Assert.NotEmpty(lengths);
            Assert.All(lengths, l => Assert.Equal(60, l));
        }
        var inClear = string.Join("\n", standIn.Received) + string.Join("\n", standIn.Answered);
        foreach (var secret in new[] { dc.KerberosPassword, "LEGACY-XP", "OFF01", "KB2770917", "KB2779768", "Msvm_ComputerSystem", "Envelope" })
        {
            if (secret != dc.KerberosPassword)
            {
                Assert.Contains(secret, inClear, StringComparison.Ordinal); // the control: it was exchanged
            }
            Assert.DoesNotContain(secret, wire, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, System.Text.Encoding.Unicode.GetString([.. toHost, .. fromHost]), StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>The stand-in, as WinRM: once Kerberos is established on plain HTTP, a body in clear text is refused, not read.</summary>
    [Fact]
    public async Task The_stand_in_refuses_a_clear_text_body_on_plain_HTTP_after_Kerberos()
    {
        UseTestRealm("MEMORY:audit-wsman-plaintext");
        await using var lab = await WinRmLab.StartAsync(CimRecording.Load("hv2012-cluster-node"), "unused", "unused-" + Guid.NewGuid(), acceptNegotiate: true, plainHttp: true);
        using var client = new System.Net.Security.NegotiateAuthentication(new System.Net.Security.NegotiateAuthenticationClientOptions
        {
            Package = "Negotiate",
            TargetName = SambaDcFixture.StandInPrincipal,
            Credential = new System.Net.NetworkCredential(SambaDcFixture.KerberosUser, dc.KerberosPassword, SambaDcFixture.Realm),
            RequiredProtectionLevel = System.Net.Security.ProtectionLevel.EncryptAndSign,
        });
        var token = client.GetOutgoingBlob(ReadOnlySpan<byte>.Empty, out var status);
        Assert.True(token is not null, $"no Kerberos token: {status}\n{dc.SambaOutput()}");
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://localhost:{lab.Port}/wsman")
        {
            Content = new StringContent(WsManRequest.Identify(), System.Text.Encoding.UTF8, "application/soap+xml"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Negotiate", Convert.ToBase64String(token));
        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, lab.StandIn.RejectedPlaintext);
        Assert.Empty(lab.StandIn.Received);
        Assert.Single(lab.StandIn.Authenticated); // Kerberos itself was fine: the body was refused for being in clear
    }

    [Fact]
    public async Task A_Kerberos_ticket_from_the_KDC_collects_every_family()
    {
        var (host, lab) = await CollectAsync("localhost", $"{SambaDcFixture.KerberosUser}@{SambaDcFixture.Realm}", dc.KerberosPassword);
        await using var _ = lab;
        var standIn = lab.StandIn;
        Assert.All(host.Collection, c => Assert.True(c.Status == CollectionState.Ok, $"{c.Collector}: {c.Message}\n{dc.SambaOutput()}"));
        Assert.Contains(standIn.Authenticated, n => n.StartsWith(SambaDcFixture.KerberosUser + "@", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_wrong_password_is_authentication_not_unreachable_and_nothing_reaches_the_host()
    {
        var (host, lab) = await CollectAsync("localhost", $"{SambaDcFixture.KerberosUser}@{SambaDcFixture.Realm}", "not-the-password-1A!");
        await using var _ = lab;
        var standIn = lab.StandIn;
        Assert.Equal(0, standIn.Requests);
        Assert.All(host.Collection, c =>
        {
            Assert.Equal((int)CimErrorCode.AuthenticationFailed, c.ErrorCode);
            Assert.Contains("fix: check --user", c.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("\n", c.Message ?? "", StringComparison.Ordinal);
        });
        output.WriteLine(host.Collection[0].Message);
    }

    [Fact]
    public async Task A_name_without_a_service_principal_is_authentication_with_the_setspn_fix()
    {
        // 127.0.0.1 is in the certificate, but the KDC knows no HTTP/127.0.0.1.
        var (host, lab) = await CollectAsync("127.0.0.1", $"{SambaDcFixture.KerberosUser}@{SambaDcFixture.Realm}", dc.KerberosPassword);
        await using var _ = lab;
        var standIn = lab.StandIn;
        Assert.Equal(0, standIn.Requests);
        var os = host.Collection[0];
        Assert.Equal((int)CimErrorCode.AuthenticationFailed, os.ErrorCode);
        Assert.Contains("HTTP/127.0.0.1", os.Message, StringComparison.Ordinal);
        Assert.Contains("(fix: ", os.Message, StringComparison.Ordinal);
        Assert.Contains("setspn", os.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", os.Message ?? "", StringComparison.Ordinal);
        output.WriteLine(os.Message);
    }
}
