using Audit.Collectors.Cim;
using Audit.Collectors.Tests.Cim;
using Audit.Collectors.Tests.Directory;
using Audit.Collectors.WsMan;
using Audit.Core;

namespace Audit.Collectors.Tests.WsMan;

/// <summary>
/// Kerberos over WS-Management against a real KDC: the Samba AD DC the LDAP tests start (in its own network
/// namespace) issues the tickets; the stand-in accepts them with the keytab of HTTP/localhost exported from that DC.
/// A good password collects; a wrong password and a principal the KDC does not know are authentication failures with
/// their fix, found before anything is sent to the host.
/// </summary>
[Collection(SambaDcDefinition.Name)]
public sealed class WsManKerberosTests(SambaDcFixture dc)
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
        using var factory = new WsManCimSessionFactory();
        var options = new CollectionRunOptions
        {
            Connection = new CimConnectionOptions { UseSsl = true, Port = lab.Port, CaFile = lab.CaFile, User = user, Password = password, OperationTimeout = TimeSpan.FromSeconds(20) },
        };
        var result = await new CollectionRunner(factory).RunAsync([new InventoryHost { Name = host }], options);
        return (result.Hosts[0], lab);
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
            Assert.Contains("fix:", c.Message, StringComparison.Ordinal);
        });
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
    }
}
