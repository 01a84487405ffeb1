using System.Text;
using System.Text.Json;
using Audit.Collectors.Cim;
using Audit.Core;
using Audit.Tests.Common;
using Moq;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Cli.Tests;

public sealed class CollectCommandTests
{
    internal const string Secret = "S3cret-Pa55-9f1c";

    internal static CliResult Run(CliEnvironment env, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = CliApp.Run(args, o, e, env);
        return new CliResult(code, o.ToString(), e.ToString());
    }

    internal static CliEnvironment Env(string cwd, ICimSessionFactory? factory = null) => new()
    {
        CurrentDirectory = cwd,
        Clock = () => new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero),
        GetVariable = name => name == "AUDIT_PW" ? Secret : null,
        CanCollectCim = false, // as on Linux, whatever this test runs on
        CimSessionFactory = factory,
    };

    /// <summary>Off Windows the default transport is wsman, but --dcom and --local exist only in MI: they keep MI and its exit 69.</summary>
    [Theory]
    [InlineData("--dcom")]
    [InlineData("--local")]
    public void Dcom_and_local_off_Windows_keep_MI_and_exit_69(string option)
    {
        using var dir = new TempDir();
        string[] args = option == "--local" ? ["collect", "--local", "--out", "snap.json"] : ["collect", "--hosts", "hv1", option, "--out", "snap.json"];
        var r = Run(Env(dir.Path), args);
        Assert.Equal(ExitCodes.Unsupported, r.ExitCode);
        Assert.Equal(CollectCommands.PlatformMessage + Environment.NewLine, r.Err);
        Assert.False(File.Exists(Path.Combine(dir.Path, "snap.json")));
    }

    /// <summary>On Windows the default stays MI: options of our WS-Management client alone are refused without --transport wsman.</summary>
    [Fact]
    public void On_Windows_the_default_transport_is_MI()
    {
        using var dir = new TempDir();
        var r = Run(Env(dir.Path) with { CanCollectCim = true }, "collect", "--hosts", "hv1", "--https", "--auth", "basic", "--user", "u", "--password-env", "AUDIT_PW", "--out", "snap.json");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--auth basic needs --transport wsman", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Hosts_on_a_platform_without_CIM_say_so_in_one_sentence_and_exit_69()
    {
        using var dir = new TempDir();
        var r = Run(Env(dir.Path), "collect", "--transport", "mi", "--hosts", "hv1,hv2", "--out", "snap.json");
        Assert.Equal(ExitCodes.Unsupported, r.ExitCode);
        Assert.Equal(CollectCommands.PlatformMessage + Environment.NewLine, r.Err);
        Assert.Contains("collect' on a Windows machine", r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
        Assert.False(File.Exists(Path.Combine(dir.Path, "snap.json")));
    }

    [Theory]
    [InlineData("collect")]
    [InlineData("collect", "--hosts", "bad name!")]
    [InlineData("collect", "--directory", "http://dc1")]
    [InlineData("collect", "--directory", "ldaps://dc1", "--directory-starttls")]
    [InlineData("collect", "--directory", "ldap://dc1", "--directory-password-env", "X")]
    public void Usage_errors_exit_64(params string[] args)
    {
        using var dir = new TempDir();
        var r = Run(Env(dir.Path), args);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith("audit: error: ", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_hosts_file_is_exit_65_with_positions()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("hosts.txt"), "hv1\nhv 2\n");
        var r = Run(Env(dir.Path), "collect", "--hosts-file", "hosts.txt");
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("hosts.txt(2,1): error AUD0050:", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Hosts_through_a_session_factory_give_a_valid_snapshot_with_every_host_and_no_secret()
    {
        using var dir = new TempDir();
        CimConnectionOptions? seen = null;
        var factory = new Mock<ICimSessionFactory>(MockBehavior.Strict);
        factory.Setup(f => f.CreateAsync("down.lab.test", It.IsAny<CimConnectionOptions>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new CimException(CimErrorCode.Unreachable, "cannot open a CIM session to down.lab.test: WinRM cannot complete the operation"));
        factory.Setup(f => f.CreateAsync("hv1", It.IsAny<CimConnectionOptions>(), It.IsAny<CancellationToken>()))
            .Callback<string, CimConnectionOptions, CancellationToken>((_, o, _) => seen = o)
            .ReturnsAsync(() =>
            {
                var s = new Mock<ICimSession>();
                s.Setup(x => x.QueryAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                    .ThrowsAsync(new CimException(CimErrorCode.AccessDenied, "Access denied"));
                s.Setup(x => x.InvokeStaticAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<string>(), It.IsAny<IReadOnlyDictionary<string, object?>>(), It.IsAny<CancellationToken>()))
                    .ThrowsAsync(new CimException(CimErrorCode.AccessDenied, "Access denied"));
                return s.Object;
            });
        File.WriteAllText(dir.File("hosts.txt"), "# site A\nhv1\n");
        var r = Run(Env(dir.Path, factory.Object), "collect", "--hosts-file", "hosts.txt", "--hosts", "down.lab.test", "--parallel", "2",
            "--user", @"LAB\auditor", "--password-env", "AUDIT_PW", "--out", "out/snap.json");

        Assert.Equal(ExitCodes.Incomplete, r.ExitCode);
        Assert.Equal((@"LAB\auditor", Secret, CimProtocol.WsMan), (seen!.User, seen.Password, seen.Protocol));
        Assert.Contains("audit: DOWN: 0 ok, 10 error, 0 unsupported (first error: os: cannot open a CIM session to down.lab.test", r.Err, StringComparison.Ordinal);
        Assert.Contains("done,", r.Err, StringComparison.Ordinal);
        Assert.StartsWith("Collected 2 host(s), 2 with errors; wrote out/snap.json", r.Out, StringComparison.Ordinal);
        var text = File.ReadAllText(dir.File("out/snap.json"));
        var snapshot = SnapshotLoader.Parse(Encoding.UTF8.GetBytes(text), "snap.json").Value;
        Assert.Equal(["DOWN", "HV1"], snapshot.Hosts.Select(h => h.Name));
        Assert.True(snapshot.Complete);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero), snapshot.CollectedAt);
        Assert.All(snapshot.Hosts, h => Assert.Equal(10, h.Collection.Count(c => c.Status == CollectionState.Error)));
        Assert.Equal((int)CimErrorCode.AccessDenied, snapshot.Hosts[1].Collection[0].ErrorCode);
        foreach (var s in new[] { text, r.Out, r.Err })
        {
            Assert.DoesNotContain(Secret, s, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Directory_alone_runs_here_warns_about_a_clear_text_bind_and_records_the_failure()
    {
        using var dir = new TempDir();
        var r = Run(Env(dir.Path), "collect", "--directory", "ldap://127.0.0.1:1", "--directory-user", "admin@lab.test",
            "--directory-password-env", "AUDIT_PW", "--directory-base", "DC=lab,DC=test", "--out", "dir.json");
        Assert.Equal(ExitCodes.Incomplete, r.ExitCode);
        Assert.Contains("warning AUD0051: a simple bind as admin@lab.test to ldap://127.0.0.1:1 sends the password in clear text", r.Err, StringComparison.Ordinal);
        Assert.StartsWith("Collected directory error: Directory collection from ldap://127.0.0.1:1 failed", r.Out, StringComparison.Ordinal);
        var text = File.ReadAllText(dir.File("dir.json"));
        var snapshot = SnapshotLoader.Parse(Encoding.UTF8.GetBytes(text), "dir.json").Value;
        Assert.Empty(snapshot.Hosts);
        Assert.Equal(CollectionState.Error, snapshot.Directory!.Collection.Status);
        Assert.Equal("lab.test", snapshot.Directory.Domain);
        foreach (var s in new[] { text, r.Out, r.Err })
        {
            Assert.DoesNotContain(Secret, s, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Ctrl_C_during_collection_still_writes_every_host_in_a_snapshot_marked_incomplete()
    {
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        var factory = new Mock<ICimSessionFactory>();
        factory.Setup(f => f.CreateAsync(It.IsAny<string>(), It.IsAny<CimConnectionOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string host, CimConnectionOptions _, CancellationToken _) =>
            {
                var s = new Mock<ICimSession>();
                s.SetupGet(x => x.ComputerName).Returns(host);
                // Every query hangs until cancelled, as a stuck WinRM call would.
                s.Setup(x => x.QueryAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                    .Returns((string _, string _, CancellationToken t) => Task.Delay(Timeout.Infinite, t).ContinueWith<IReadOnlyList<CimRecord>>(_ => [], TaskScheduler.Default));
                return s.Object;
            });
        var env = Env(dir.Path, factory.Object);
        var o = new StringWriter();
        var e = new StringWriter();
        var run = Task.Run(() => CliApp.Run(["collect", "--hosts", "hv1,hv2,hv3,hv4", "--parallel", "2", "--out", "snap.json"], o, e, env, cts.Token));
        await Task.Delay(500);
        await cts.CancelAsync();
        var code = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExitCodes.Incomplete, code);
        Assert.Contains("(INCOMPLETE: cancelled)", o.ToString(), StringComparison.Ordinal);
        var snapshot = SnapshotLoader.Load(dir.File("snap.json")).Value;
        Assert.False(snapshot.Complete);
        Assert.Equal(["HV1", "HV2", "HV3", "HV4"], snapshot.Hosts.Select(h => h.Name));
        Assert.All(snapshot.Hosts, h => Assert.All(h.Collection, c => Assert.Equal(CollectionState.Error, c.Status)));
        Assert.Contains(snapshot.Hosts, h => h.Collection[0].Message == "not collected: the collection was cancelled before this host started");
        Assert.Contains(snapshot.Hosts, h => h.Collection[0].Message == "not collected: the collection was cancelled before this collector finished");
    }

    [Fact]
    public void Local_uses_a_local_session_for_this_machine()
    {
        using var dir = new TempDir();
        var protocols = new List<(string, CimProtocol)>();
        var factory = new Mock<ICimSessionFactory>();
        factory.Setup(f => f.CreateAsync(It.IsAny<string>(), It.IsAny<CimConnectionOptions>(), It.IsAny<CancellationToken>()))
            .Callback<string, CimConnectionOptions, CancellationToken>((h, o, _) => { lock (protocols) { protocols.Add((h, o.Protocol)); } })
            .ThrowsAsync(new CimException(CimErrorCode.AccessDenied, "denied"));
        var r = Run(Env(dir.Path, factory.Object), "collect", "--local", "--hosts", "remote1", "--dcom", "--out", "s.json");
        Assert.Equal(ExitCodes.Incomplete, r.ExitCode);
        Assert.Contains((Environment.MachineName, CimProtocol.Local), protocols);
        Assert.Contains(("remote1", CimProtocol.Dcom), protocols);
        Assert.Equal(2, protocols.Count); // AccessDenied is not transient: no retry
    }

    private static void WriteSnapshot(string path, params string[] hosts)
    {
        var s = new Snapshot
        {
            CollectedAt = new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero),
            Hosts = [.. hosts.Select(h => new HostFacts { Name = h, Collection = [new CollectionStatus { Collector = FactFamilies.Os, Status = CollectionState.Ok }] })],
        };
        File.WriteAllText(path, JsonSerializer.Serialize(s, AuditJson.Options));
    }

    [Fact]
    public void Snapshot_merge_joins_and_refuses_duplicates_with_exit_65()
    {
        using var dir = new TempDir();
        WriteSnapshot(dir.File("a.json"), "ZULU", "YANKEE");
        WriteSnapshot(dir.File("b.json"), "WHISKEY");
        WriteSnapshot(dir.File("c.json"), "VICTOR", "zulu");
        var ok = Run(Env(dir.Path), "snapshot", "merge", "a.json", "b.json", "--out", "estate.json");
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("Merged 2 snapshots: 3 hosts; wrote estate.json" + Environment.NewLine, ok.Out);
        var merged = SnapshotLoader.Load(dir.File("estate.json")).Value;
        Assert.Equal(["WHISKEY", "YANKEE", "ZULU"], merged.Hosts.Select(h => h.Name));

        var dup = Run(Env(dir.Path), "snapshot", "merge", "a.json", "b.json", "c.json", "--out", "estate2.json");
        Assert.Equal(ExitCodes.InvalidInput, dup.ExitCode);
        // The shards' bytes are dropped after reading; the positions are those of the files, read again for the diagnostic.
        var (cl, cc) = SnapshotLoader.Load(dir.File("c.json")).Positions.Position("hosts[1].name");
        var (al, ac) = SnapshotLoader.Load(dir.File("a.json")).Positions.Position("hosts[0].name");
        Assert.StartsWith($"c.json({cl},{cc}): error AUD0040: host 'zulu' is in more than one snapshot (also a.json({al},{ac}))", dup.Err, StringComparison.Ordinal);
        Assert.True(cl > 1 && al > 1, $"{cl} {al}");
        Assert.False(File.Exists(dir.File("estate2.json")));

        var one = Run(Env(dir.Path), "snapshot", "merge", "a.json", "--out", "x.json");
        Assert.Equal(ExitCodes.Usage, one.ExitCode);
    }
}

/// <summary>`audit collect --hosts` as a real process on a platform where CIM cannot run.</summary>
public sealed class CollectProcessTests
{
    [Fact]
    public async Task Collect_with_hosts_as_a_process_exits_69_where_CIM_cannot_run()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // on Windows collection would really start; this test is about other platforms
        }
        using var dir = new TempDir();
        var dll = Path.Combine(AppContext.BaseDirectory, "audit.dll");
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet", ["exec", dll, "collect", "--transport", "mi", "--hosts", "hv1,hv2", "--out", "s.json"])
        {
            WorkingDirectory = dir.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(timeout.Token);
        Assert.Equal(ExitCodes.Unsupported, p.ExitCode);
        Assert.Equal("", await stdout);
        Assert.Equal(CollectCommands.PlatformMessage, (await stderr).TrimEnd());
        Assert.False(File.Exists(dir.File("s.json")));
    }
}

/// <summary>'audit run' chaining collection and evaluation.</summary>
public sealed class RunWithCollectionTests
{
    [Fact]
    public void Run_with_hosts_on_a_platform_without_CIM_exits_69_before_evaluating()
    {
        using var dir = new TempDir();
        var r = CollectCommandTests.Run(CollectCommandTests.Env(dir.Path), "run", "--transport", "mi", "--hosts", "hv1", "--out", "o");
        Assert.Equal(ExitCodes.Unsupported, r.ExitCode);
        Assert.Equal(CollectCommands.PlatformMessage + Environment.NewLine, r.Err);
        Assert.False(File.Exists(dir.File("o/results.json")));
    }

    [Fact]
    public void Run_refuses_a_snapshot_together_with_collection_options()
    {
        using var dir = new TempDir();
        var r = CollectCommandTests.Run(CollectCommandTests.Env(dir.Path), "run", "--hosts", "hv1", "--snapshot", "x.json", "--out", "o");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("exclude each other", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_with_a_directory_collects_then_audits_the_collected_snapshot_failing_closed()
    {
        using var dir = new TempDir();
        var r = CollectCommandTests.Run(CollectCommandTests.Env(dir.Path), "run", "--directory", "ldaps://127.0.0.1:1", "--directory-base", "DC=lab,DC=test",
            "--rules", Path.Combine(RepoPaths.Rules, "delegation.json"), "--out", "o", "--format", "json,console");
        // Nothing could be read: the snapshot records the error and the audit is incomplete, never compliant.
        Assert.True(File.Exists(dir.File("o/snapshot.json")), r.Err);
        var results = JsonSerializer.Deserialize<ResultsDocument>(File.ReadAllBytes(dir.File("o/results.json")), AuditJson.Options)!;
        Assert.Equal("o/snapshot.json", results.Run.Snapshot.Path);
        Assert.NotEqual(ExitCodes.Compliant, r.ExitCode);
        Assert.DoesNotContain(results.Results, v => v.Outcome == Outcome.Pass && v.Scope == Scope.Computer);
    }

    [Fact]
    public void Run_checks_every_option_before_contacting_any_host()
    {
        using var dir = new TempDir();
        // With a misspelt severity the answer is 64 (usage), not 69 (collection attempted on this platform).
        var r = CollectCommandTests.Run(CollectCommandTests.Env(dir.Path), "run", "--hosts", "hv1", "--fail-on", "hgih", "--out", "o");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--fail-on 'hgih'", r.Err, StringComparison.Ordinal);
    }
}
