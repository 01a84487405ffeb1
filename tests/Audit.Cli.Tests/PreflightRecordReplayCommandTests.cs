using System.Text.Json;
using System.Text.Json.Nodes;
using Audit.Collectors.Recording;
using Audit.Core;
using Audit.Tests.Common;
using Audit.Core.Loading;
using Audit.Core.Snapshots;

namespace Audit.Cli.Tests;

/// <summary>
/// 'audit collect --preflight', '--record DIR' and '--replay DIR' as a user runs them (in-process): the shipped
/// recordings replay on Linux into the snapshot the tests expect, the preflight table and its fixes are golden, a
/// recording that would hold the password is refused with 74, and CIM on Linux is still a plain 69.
/// </summary>
public sealed class PreflightRecordReplayCommandTests
{
    private static string Recordings => Path.Combine(RepoPaths.Fixtures("Audit.Collectors.Tests"), "cim");

    private static CliResult Run(CliEnvironment env, params string[] args) => CollectCommandTests.Run(env, args);

    /// <summary>The snapshot without what differs by build (tool version) and by machine.</summary>
    private static string Stable(string snapshotJson)
    {
        var node = JsonNode.Parse(snapshotJson)!.AsObject();
        node["collector"]!["version"] = "(version)";
        node["collector"]!.AsObject().Remove("machine");
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    [Fact]
    public void Replaying_every_shipped_recording_gives_the_expected_valid_snapshot_on_any_OS()
    {
        using var dir = new TempDir();
        var r = Run(CollectCommandTests.Env(dir.Path), "collect", "--replay", Recordings, "--out", "snap.json");
        Assert.Equal(ExitCodes.Incomplete, r.ExitCode); // HV5's recording holds AccessDenied: errors, so 2
        Assert.StartsWith("Collected 5 host(s), 2 with errors; wrote snap.json", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("do not answer", r.Err, StringComparison.Ordinal);
        var text = File.ReadAllText(dir.File("snap.json"));
        var snapshot = SnapshotLoader.Load(dir.File("snap.json")).Value; // strict: schema and model
        Assert.Equal(["FS1", "HV1", "HV4", "HV5", "HV6"], snapshot.Hosts.Select(h => h.Name));
        // HV6 refused Kerberos at the connection test: every family says so, with the fix, and nothing else was asked.
        Assert.All(snapshot.Hosts[4].Collection, c => Assert.Equal((int)Collectors.Cim.CimErrorCode.AuthenticationFailed, c.ErrorCode));
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero), snapshot.CollectedAt); // the recordings' time, not the clock's
        Approvals.Verify("Audit.Cli.Tests", "replay-shipped-recordings.snapshot.json", Stable(text));

        var v = Run(CollectCommandTests.Env(dir.Path), "validate", "--snapshot", "snap.json");
        Assert.Equal(ExitCodes.Compliant, v.ExitCode);
    }

    [Fact]
    public void Preflight_prints_a_table_with_one_fix_per_failure_and_exits_2_when_a_host_is_not_ready()
    {
        using var dir = new TempDir();
        var r = Run(CollectCommandTests.Env(dir.Path), "collect", "--replay", Recordings, "--preflight");
        Assert.Equal(ExitCodes.Incomplete, r.ExitCode);
        Approvals.Verify("Audit.Cli.Tests", "preflight-shipped-recordings.txt", r.Out);
        Assert.False(File.Exists(dir.File("snapshot.json"))); // a preflight collects nothing
    }

    [Fact]
    public void Preflight_of_ready_hosts_exits_0()
    {
        using var dir = new TempDir();
        var r = Run(CollectCommandTests.Env(dir.Path), "collect", "--replay", Recordings, "--hosts", "HV1,HV4,FS1", "--preflight");
        Assert.Equal(ExitCodes.Compliant, r.ExitCode);
        Assert.Contains("Preflight: 3 of 3 host(s) ready for collection.", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Preflight_on_a_platform_without_CIM_says_so_and_exits_69()
    {
        using var dir = new TempDir();
        var r = Run(CollectCommandTests.Env(dir.Path), "collect", "--transport", "mi", "--preflight", "--hosts", "x");
        Assert.Equal(ExitCodes.Unsupported, r.ExitCode);
        Assert.Equal(CollectCommands.PlatformMessage + Environment.NewLine, r.Err);
    }

    [Theory]
    [InlineData("collect", "--hosts", "hv1", "--record", "rec", "--replay", "rec")]
    [InlineData("collect", "--hosts", "hv1", "--dcom", "--https")]
    [InlineData("collect", "--hosts", "hv1", "--port", "0")]
    [InlineData("collect", "--directory", "ldap://dc1", "--preflight")]
    public void Conflicting_or_out_of_range_options_exit_64(params string[] args)
    {
        using var dir = new TempDir();
        System.IO.Directory.CreateDirectory(dir.File("rec"));
        File.WriteAllText(dir.File("rec/HV1.cim.json"), File.ReadAllText(Path.Combine(Recordings, "hv2012-cluster-node.cim.json")));
        var r = Run(CollectCommandTests.Env(dir.Path), args);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith("audit: error: ", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_recording_is_65_with_file_and_position()
    {
        using var dir = new TempDir();
        System.IO.Directory.CreateDirectory(dir.File("rec"));
        File.WriteAllText(dir.File("rec/HV1.cim.json"), "{\n  \"schema\": \"cimrecording.v1\",\n  \"provenance\": \"recorded\",\n  \"host\": {\"name\": \"HV1\"},\n  \"recordedAt\": \"2026-11-25T02:00:00Z\",\n  \"operations\": [{\"op\": \"guess\", \"outcome\": \"ok\"}]\n}\n");
        var r = Run(CollectCommandTests.Env(dir.Path), "collect", "--replay", "rec", "--out", "s.json");
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains(Path.Combine("rec", "HV1.cim.json") + "(6,", r.Err, StringComparison.Ordinal);
    }

    /// <summary>A "live" factory: the cluster node's recorded answers, optionally with the password inside one of them.</summary>
    private static ReplayCimSessionFactory Live(bool passwordInAnswer)
    {
        var doc = JsonFileLoader.Load<CimRecordingDocument>(Path.Combine(Recordings, "hv2012-cluster-node.cim.json"), CimRecordingDocument.SchemaName).Value;
        if (passwordInAnswer)
        {
            doc = doc with
            {
                Operations = [.. doc.Operations.Select(op => op.Query == Collectors.Cim.OsCollector.ComputerQuery
                    ? op with { Instances = [new RecordedInstance { Class = "Win32_ComputerSystem", Properties = [RecordedValueCodec.Encode("Domain", "x" + CollectCommandTests.Secret + "x", "String")] }] }
                    : op)],
            };
        }
        return new ReplayCimSessionFactory([doc]);
    }

    [Fact]
    public void Record_then_replay_gives_the_same_snapshot_and_the_password_never_reaches_the_recording()
    {
        using var dir = new TempDir();
        var env = CollectCommandTests.Env(dir.Path, Live(passwordInAnswer: false));
        var r = Run(env, "collect", "--hosts", "HV1", "--user", @"LAB\auditor", "--password-env", "AUDIT_PW", "--record", "rec", "--out", "live.json");
        Assert.Equal(ExitCodes.Compliant, r.ExitCode);
        Assert.Contains("Recorded 1 host(s) into rec", r.Out, StringComparison.Ordinal);
        var recording = File.ReadAllText(dir.File("rec/HV1.cim.json"));
        Assert.DoesNotContain(CollectCommandTests.Secret, recording, StringComparison.Ordinal);

        var p = Run(CollectCommandTests.Env(dir.Path), "collect", "--replay", "rec", "--out", "replayed.json");
        Assert.Equal(ExitCodes.Compliant, p.ExitCode);
        static string NoDurations(string path) => JsonSerializer.Serialize(SnapshotLoader.Load(path).Value is var s
            ? s with { Hosts = [.. s.Hosts.Select(h => h with { Collection = [.. h.Collection.Select(c => c with { DurationMs = null })] })] } : null, AuditJson.Options);
        Assert.Equal(NoDurations(dir.File("live.json")), NoDurations(dir.File("replayed.json")));
    }

    [Fact]
    public void A_recording_that_would_hold_the_password_is_refused_with_74_and_nothing_is_written()
    {
        using var dir = new TempDir();
        var env = CollectCommandTests.Env(dir.Path, Live(passwordInAnswer: true));
        var r = Run(env, "collect", "--hosts", "HV1", "--user", @"LAB\auditor", "--password-env", "AUDIT_PW", "--record", "rec", "--out", "live.json");
        Assert.Equal(ExitCodes.CannotWrite, r.ExitCode);
        Assert.Contains("error AUD0007: the recording of HV1 contains the password", r.Err, StringComparison.Ordinal);
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(dir.File("rec")));
        Assert.True(File.Exists(dir.File("live.json"))); // the snapshot itself is written as usual
        Assert.DoesNotContain(CollectCommandTests.Secret, r.Out + r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_CA_file_that_holds_no_certificate_is_65_before_any_host_is_asked()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("ca.pem"), "not a certificate\n");
        var r = Run(CollectCommandTests.Env(dir.Path), "collect", "--transport", "wsman", "--https", "--ca", "ca.pem", "--hosts", "hv1", "--out", "s.json");
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("ca.pem: error AUD0006: CA file given with --ca cannot be used", r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("s.json")));
    }
}
