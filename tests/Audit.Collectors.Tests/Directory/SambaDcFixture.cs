using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Audit.Collectors.Tests.Directory;

[CollectionDefinition(Name)]
public sealed class SambaDcDefinition : ICollectionFixture<SambaDcFixture>
{
    /// <summary>One DC for every test that uses it: this one serialized collection.</summary>
    public const string Name = "Samba AD DC";
}

/// <summary>
/// A throwaway Samba AD domain controller for LAB.TEST (LDAP 389, LDAPS 636), provisioned in a temporary folder,
/// populated with <see cref="LabScenario"/> before it starts, with its own CA and a server certificate for its address.
/// It runs in a network namespace of its own (<see cref="TestNetwork"/>), reached over a veth pair at
/// <see cref="Address"/>: it binds no port of the machine, so it coexists with a Samba, an LDAP server or another test
/// run on the same machine, and touches no process or service it did not start. Stopped (process tree killed), its
/// namespace removed and its folder deleted when the test collection ends.
/// Fails with a clear message when Samba or iproute2 is missing (test.sh installs them) or when not run as root.
/// </summary>
public sealed class SambaDcFixture : IAsyncLifetime, IDisposable
{
    public const string Realm = "LAB.TEST";
    public const string BaseDn = "DC=lab,DC=test";
    public const string AptPackages = "samba samba-ad-dc samba-ad-provision ldb-tools openssl iproute2";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private Process? _samba;
    private TestNetwork? _network;
    private readonly StringBuilder _sambaOutput = new();

    /// <summary>The DC's address inside its namespace (TEST-NET-1, 192.0.2.0/24: reserved for documentation, never routed).</summary>
    public string Address => _network?.InnerAddress ?? throw new InvalidOperationException("the test DC is not set up");

    /// <summary>ldaps://ADDRESS (port 636 implied).</summary>
    public Uri LdapsUri => new($"ldaps://{Address}");

    /// <summary>ldap://ADDRESS:389.</summary>
    public Uri LdapUri => new($"ldap://{Address}:389");

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "audit-samba-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Random per run, so "the password appears nowhere" assertions mean something.</summary>
    public string AdminPassword { get; } = "Lab-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)) + "!a1";

    public const string AdminUser = "Administrator@lab.test";
    public string CaFile => Path.Combine(Root, "tls", "ca.pem");
    public string OtherCaFile => Path.Combine(Root, "tls", "other-ca.pem");
    public string SamLdb => Path.Combine(Root, "dc", "private", "sam.ldb");

    /// <summary>Bulk computer accounts added for the paging test (override with AUDIT_LDAP_BULK for measurements).</summary>
    public int BulkCount { get; } = int.TryParse(Environment.GetEnvironmentVariable("AUDIT_LDAP_BULK"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 1200;

    /// <summary>objectSid of each scenario account as Samba's own tools print it (independent of our SID parser).</summary>
    public IReadOnlyDictionary<string, string> Sids { get; private set; } = new Dictionary<string, string>();

    public TimeSpan ProvisionTime { get; private set; }
    public TimeSpan PopulateTime { get; private set; }
    public TimeSpan BulkAddTime { get; private set; }
    public TimeSpan StartTime { get; private set; }

    public async Task InitializeAsync()
    {
        try
        {
            await SetUpAsync();
        }
        catch
        {
            // Whatever was started or written so far must not outlive a failed set-up.
            await DisposeAsync();
            throw;
        }
    }

    private async Task SetUpAsync()
    {
        var missing = new[] { "samba", "samba-tool", "ldbadd", "ldbmodify", "ldbsearch", "openssl", "ip" }.Where(t => FindTool(t) is null).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"The Samba AD DC integration tests need {string.Join(", ", missing)} on PATH. Install them with: apt-get install -y {AptPackages}");
        }
        _network = await TestNetwork.CreateAsync("audit-dc");
        System.IO.Directory.CreateDirectory(Root);
        var watch = Stopwatch.StartNew();
        var dc = Path.Combine(Root, "dc");
        await RunAsync("samba-tool", "domain", "provision", $"--targetdir={dc}", $"--realm={Realm}", "--domain=LAB", "--server-role=dc",
            "--dns-backend=NONE", $"--host-ip={Address}", "--host-name=dc1", $"--adminpass={AdminPassword}",
            $"--option=interfaces={Address}", "--option=bind interfaces only=yes");
        ProvisionTime = watch.Elapsed;
        await MakeCertificatesAsync();
        ConfigureServer(dc);

        watch.Restart();
        await LabScenario.PopulateAsync(this);
        PopulateTime = watch.Elapsed;
        watch.Restart();
        await LabScenario.AddBulkAsync(this, BulkCount);
        BulkAddTime = watch.Elapsed;
        Sids = await LabScenario.ReadSidsAsync(this);
        await PrepareKerberosAsync(dc);

        watch.Restart();
        await StartServerAsync(dc);
        StartTime = watch.Elapsed;
    }

    /// <summary>The service principal of the WinRM stand-in (its keytab exported), a user to authenticate as, a krb5.conf naming this KDC.</summary>
    public const string StandInPrincipal = "HTTP/localhost";
    public const string KerberosUser = "krb-auditor";
    public string KerberosPassword { get; } = "Krb-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)) + "!a1";
    public string StandInKeytab => Path.Combine(Root, "standin.keytab");
    public string Krb5Conf => Path.Combine(Root, "krb5.conf");

    private async Task PrepareKerberosAsync(string dc)
    {
        var servicePassword = "Svc-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)) + "!a1";
        await RunAsync("samba-tool", "user", "create", "winrm-standin", servicePassword, "-H", SamLdb);
        await RunAsync("samba-tool", "spn", "add", StandInPrincipal, "winrm-standin", "-H", SamLdb);
        await RunAsync("samba-tool", "user", "create", KerberosUser, KerberosPassword, "-H", SamLdb);
        await RunAsync("samba-tool", "domain", "exportkeytab", StandInKeytab, $"--principal={StandInPrincipal}", "-s", Path.Combine(dc, "etc", "smb.conf"));
        await File.WriteAllTextAsync(Krb5Conf, $$"""
            [libdefaults]
                default_realm = {{Realm}}
                dns_lookup_kdc = false
                dns_lookup_realm = false
                dns_canonicalize_hostname = false
                rdns = false
                udp_preference_limit = 1
            [realms]
                {{Realm}} = {
                    kdc = {{Address}}
                }
            [domain_realm]
                localhost = {{Realm}}
            """);
    }

    private async Task MakeCertificatesAsync()
    {
        var tls = Path.Combine(Root, "tls");
        System.IO.Directory.CreateDirectory(tls);
        string P(string name) => Path.Combine(tls, name);
        await RunAsync("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", P("ca.key"), "-out", P("ca.pem"), "-days", "2",
            "-subj", "/CN=Audit Test Lab CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        await RunAsync("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", P("other-ca.key"), "-out", P("other-ca.pem"), "-days", "2",
            "-subj", "/CN=Some Other CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        await RunAsync("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", P("server.key"), "-out", P("server.csr"), "-subj", "/CN=localhost");
        await File.WriteAllTextAsync(P("server.ext"), $"subjectAltName=IP:{Address},DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
        await RunAsync("openssl", "x509", "-req", "-in", P("server.csr"), "-CA", P("ca.pem"), "-CAkey", P("ca.key"), "-CAcreateserial",
            "-out", P("server.pem"), "-days", "2", "-extfile", P("server.ext"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(P("server.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private void ConfigureServer(string dc)
    {
        var conf = Path.Combine(dc, "etc", "smb.conf");
        var tls = Path.Combine(Root, "tls");
        string[] extra =
        [
            $"interfaces = {Address}",
            "bind interfaces only = yes",
            "server services = ldap, kdc",
            "tls enabled = yes",
            $"tls keyfile = {Path.Combine(tls, "server.key")}",
            $"tls certfile = {Path.Combine(tls, "server.pem")}",
            $"tls cafile = {Path.Combine(tls, "ca.pem")}",
            "ldap server require strong auth = no",
            $"pid directory = {Path.Combine(dc, "run")}",
            $"winbindd socket directory = {Path.Combine(dc, "run", "winbindd")}",
            $"ntp signd socket directory = {Path.Combine(dc, "run", "ntp_signd")}",
            $"log file = {Path.Combine(dc, "log", "log.%m")}",
            "log level = 1",
        ];
        var keys = extra.Select(e => e.Split('=')[0].Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var lines = new List<string>();
        foreach (var line in File.ReadAllLines(conf))
        {
            var key = line.Split('=')[0].Trim();
            if (line.Contains('=', StringComparison.Ordinal) && keys.Contains(key))
            {
                continue;
            }
            lines.Add(line);
            if (line.Trim() == "[global]")
            {
                lines.AddRange(extra.Select(e => "\t" + e));
            }
        }
        File.WriteAllLines(conf, lines);
        System.IO.Directory.CreateDirectory(Path.Combine(dc, "run"));
        System.IO.Directory.CreateDirectory(Path.Combine(dc, "log"));
    }

    private async Task StartServerAsync(string dc)
    {
        // ip netns exec enters the namespace and execs samba: the process started here is samba itself.
        var psi = new ProcessStartInfo(FindTool("ip")!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "netns", "exec", _network!.Name, FindTool("samba")!, "-s", Path.Combine(dc, "etc", "smb.conf"), "-i", "-M", "single" })
        {
            psi.ArgumentList.Add(a);
        }
        _samba = new Process { StartInfo = psi };
        _samba.OutputDataReceived += (_, e) => Append(e.Data);
        _samba.ErrorDataReceived += (_, e) => Append(e.Data);
        _samba.Start();
        _samba.BeginOutputReadLine();
        _samba.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (_samba.HasExited)
            {
                throw new InvalidOperationException($"samba exited with code {_samba.ExitCode} while starting:\n{SambaOutput()}");
            }
            if (await IsListeningAsync(389) && await IsListeningAsync(636) && await IsListeningAsync(88))
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"samba did not listen on {Address}:389 and :636 within {StartTimeout.TotalSeconds} s:\n{SambaOutput()}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_sambaOutput)
        {
            _sambaOutput.AppendLine(line);
        }
    }

    public string SambaOutput()
    {
        lock (_sambaOutput)
        {
            var text = _sambaOutput.ToString();
            return text.Length > 4000 ? text[^4000..] : text;
        }
    }

    public async Task DisposeAsync()
    {
        if (_samba is not null)
        {
            try
            {
                if (!_samba.HasExited)
                {
                    _samba.Kill(entireProcessTree: true);
                    await _samba.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
                }
            }
            catch (InvalidOperationException)
            {
            }
            catch (TimeoutException)
            {
            }
            _samba.Dispose();
        }
        if (_network is not null)
        {
            await _network.DisposeAsync();
        }
        try
        {
            System.IO.Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public void Dispose() => _samba?.Dispose();

    private async Task<bool> IsListeningAsync(int port)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(Address, port, cts.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    internal static string? FindTool(string name)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Append("/usr/sbin").Append("/sbin");
        return path.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    /// <summary>Runs a tool to completion; throws with its output when it fails.</summary>
    internal static async Task<string> RunAsync(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(FindTool(tool) ?? tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{tool} {Redact(string.Join(' ', args))} did not finish within 2 minutes");
        }
        var output = await stdout + await stderr;
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {Redact(string.Join(' ', args))} failed with exit code {p.ExitCode}:\n{Redact(output)}");
        }
        return output;
    }

    /// <summary>Command lines and tool output may carry the admin password (--adminpass=..., --password=...): never put it in a test log.</summary>
    internal static string Redact(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"(--(?:adminpass|password|newpassword)[= ])\S+", "$1********");
}
