using System.Text;
using System.Text.Json;
using Audit.Collectors.Cim;
using Audit.Core;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Tests.Cim;

/// <summary>Every fact family collected from recorded CIM answers (Fixtures/cim), replayed; a question a recording does not answer fails the test.</summary>
public sealed class CimCollectorTests
{
    internal static async Task<HostFacts> CollectAsync(string fixture, string? declaredCluster = null)
    {
        var (replay, session) = await CimRecording.OpenAsync(fixture);
        var facts = await new HostCollector().CollectAsync(session, new HostFacts { Name = session.ComputerName, Cluster = declaredCluster }, CancellationToken.None);
        CimRecording.AssertAllAnswered(replay);
        return facts;
    }

    private static CollectionStatus Status(HostFacts h, string collector) => Assert.Single(h.Collection, c => c.Collector == collector);

    [Fact]
    public async Task Cluster_node_every_family_ok_with_values_as_recorded()
    {
        var h = await CollectAsync("hv2012-cluster-node");
        Assert.Equal(FactFamilies.OfHosts, h.Collection.Select(c => c.Collector));
        Assert.All(h.Collection, c => Assert.True(c.Status == CollectionState.Ok, $"{c.Collector}: {c.Status} {c.Message}"));

        Assert.Equal("6.2.9200", h.Os!.Version);
        Assert.Equal(3, h.Os.ProductType);
        Assert.Equal("hv1.corp.example", h.Fqdn);
        Assert.Equal("corp.example", h.Domain);
        Assert.True(h.Roles!.HyperV);
        Assert.True(h.Roles.FailoverClustering);
        Assert.False(h.Roles.DomainController);
        Assert.Equal([2, 10, 20, 33, 99, 418], h.Roles.FeatureIds);
        Assert.Equal("HVCLU1", h.Cluster);

        // GuestInstaller: enumerated (the DWORD value is skipped with a note), not looked up by fixed names.
        Assert.Equal(new Dictionary<string, string>
        {
            ["Microsoft-Hyper-V-Guest-Installer-Win5x-Package"] = "6.2.9200.16384",
            ["Microsoft-Hyper-V-Guest-Installer-Win6x-Package"] = "6.2.9200.16433",
        }, h.IntegrationServices);
        Assert.Contains("InstallState", Status(h, FactFamilies.IntegrationServices).Message, StringComparison.Ordinal);

        Assert.Equal(["APP01", "LEGACY-XP", "OFF01"], h.Vms!.Select(v => v.Name));
        var xp = h.Vms!.Single(v => v.Name == "LEGACY-XP");
        Assert.Equal("Running", xp.State);
        Assert.Equal("6.2.9200.16384", xp.Guest!.IntegrationServicesVersion); // recorded with a trailing newline
        Assert.Equal(5, xp.Guest.OsMajorVersion);
        Assert.Equal("Service Pack 3", xp.Guest.CsdVersion);
        Assert.Equal("0", xp.Guest.Items!["ProcessorArchitecture"]);
        var xpDisk = Assert.Single(xp.Disks);
        Assert.Equal(("VHD", "Fixed", "IDE"), (xpDisk.Format, xpDisk.Type, xpDisk.Controller));

        var app = h.Vms!.Single(v => v.Name == "APP01");
        Assert.Equal("app01.corp.example", app.Guest!.Fqdn);
        Assert.Null(app.Generation); // 2012 reports no subtype; not guessed
        // Two hard disks: the ISO and the checkpoint's copy of the boot disk are not the VM's disks.
        Assert.Collection(app.Disks,
            d => Assert.Equal((@"C:\ClusterStorage\Volume1\APP01\app01-data_8A3F.avhdx", "VHDX", "Differencing", "SCSI", ScsiSubType), (d.Path, d.Format, d.Type, d.Controller, d.ControllerSubType)),
            d => Assert.Equal((@"C:\ClusterStorage\Volume1\APP01\app01.vhdx", "VHDX", "Dynamic", "IDE", 3, 3), (d.Path, d.Format, d.Type, d.Controller, d.FormatCode, d.TypeCode)));

        // Integration services offered: 2012 has no Guest Service Interface class (InvalidClass: skipped, not an error);
        // Time Synchronization is switched off for APP01; the checkpoint's settings are no VM of their own.
        Assert.Equal(["Heartbeat", "Key-Value Pair Exchange", "Shutdown", "Time Synchronization", "VSS"], app.IntegrationComponents!.Select(c => c.Name));
        Assert.Equal([true, true, true, false, true], app.IntegrationComponents!.Select(c => c.Enabled));
        Assert.Equal(3, app.IntegrationComponents!.Single(c => c.Name == "Time Synchronization").EnabledState);
        Assert.All(xp.IntegrationComponents!, c => Assert.True(c.Enabled));

        var off = h.Vms!.Single(v => v.Name == "OFF01");
        Assert.Equal(("Off", 3), (off.State, off.StateCode));
        Assert.Null(off.Guest);
        Assert.Equal(("Unknown", "Unknown", "SCSI"), (off.Disks[0].Format, off.Disks[0].Type, off.Disks[0].Controller));
        Assert.Contains("32775", Status(h, FactFamilies.Vms).Message, StringComparison.Ordinal);

        // Hotfixes: duplicate row merged (the dated one kept), hex FILETIME read, lower-case id normalised, unreadable date kept raw.
        Assert.Equal(["KB2770917", "KB2779768", "KB2803748", "KB2838043"], h.Hotfixes!.Select(x => x.Id));
        Assert.Equal(new DateTimeOffset(2012, 11, 27, 0, 0, 0, TimeSpan.Zero), h.Hotfixes![0].InstalledOn);
        Assert.Equal("01cdcc80b7e07fc0", h.Hotfixes[1].InstalledOnRaw);
        Assert.Equal(new DateTimeOffset(2012, 11, 27, 9, 22, 27, TimeSpan.Zero), TruncateToSecond(h.Hotfixes[1].InstalledOn!.Value));
        Assert.Equal(new DateTimeOffset(2013, 3, 5, 0, 0, 0, TimeSpan.Zero), h.Hotfixes[2].InstalledOn);
        Assert.Equal(("garbled", (DateTimeOffset?)null), (h.Hotfixes[3].InstalledOnRaw, h.Hotfixes[3].InstalledOn));
        Assert.Contains("1 duplicate", Status(h, FactFamilies.Hotfixes).Message, StringComparison.Ordinal);

        var lm = h.LiveMigration!;
        Assert.Equal((true, 1, "Kerberos", 4, 2, false, (string?)null), (lm.Enabled, lm.AuthenticationType, lm.Authentication, lm.MaximumSimultaneousMigrations, lm.MaximumSimultaneousStorageMigrations, lm.UseAnyNetwork, lm.PerformanceOption));
        Assert.Equal(["10.10.20.0", "10.10.30.0"], lm.Networks.Select(n => n.Subnet));

        Assert.Equal(0, h.Storage!.DisableDeleteNotification);

        var task = Assert.Single(h.ScheduledTasks!);
        Assert.Equal((@"\Microsoft\Windows\Defrag\", "ScheduledDefrag", "Ready", "P7D", "P30D"), (task.Path, task.Name, task.State, task.MaintenancePeriod, task.MaintenanceDeadline));
        Assert.Empty(task.Triggers);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 3, 12, 0, TimeSpan.Zero), task.LastRunTime);
        Assert.Null(task.NextRunTime); // 1999-11-30 means "none"
        Assert.Equal(0, task.LastTaskResult);

        var smb = h.Smb!;
        Assert.Equal((true, true, false, true), (smb.EnableMultiChannel, smb.EnableSmb1Protocol, smb.EncryptData, smb.RdmaEnabled));
        var share = Assert.Single(smb.Shares);
        Assert.Equal((@"C:\$VSM$\ZULU.2541288334$", true), (share.Path, share.Temporary));
    }

    private const string ScsiSubType = "Microsoft:Hyper-V:Synthetic SCSI Controller";

    private static DateTimeOffset TruncateToSecond(DateTimeOffset d) => new(d.Ticks - (d.Ticks % TimeSpan.TicksPerSecond), d.Offset);

    [Fact]
    public async Task Standalone_2016_not_clustered_deprecated_guest_hex_dates_weekly_trigger()
    {
        var h = await CollectAsync("hv2016-standalone-not-clustered", declaredCluster: "WRONG");
        Assert.All(h.Collection, c => Assert.True(c.Status == CollectionState.Ok, $"{c.Collector}: {c.Status} {c.Message}"));

        // InvalidNamespace on root/MSCluster: not clustered, which is a fact (ok), not a failure.
        Assert.Null(h.Cluster);
        var cluster = Status(h, FactFamilies.Cluster);
        Assert.Contains("InvalidNamespace", cluster.Message, StringComparison.Ordinal);
        Assert.Contains("'WRONG'", cluster.Message, StringComparison.Ordinal);

        Assert.Equal(("hv4.lab.test", "lab.test"), (h.Fqdn, h.Domain));
        Assert.Equal("10.0.14393.0", Assert.Single(h.IntegrationServices!).Value);
        var vm = Assert.Single(h.Vms!);
        Assert.Equal(2, vm.Generation);
        Assert.Equal("deprecated", vm.Guest!.IntegrationServicesVersion);
        Assert.Null(vm.Guest.CsdVersion);
        Assert.Equal(10, vm.Guest.OsMajorVersion);
        Assert.Equal(9, vm.Guest.Items!.Count); // the malformed item is ignored, not fatal
        Assert.Equal(("VHDX", "Fixed", "SCSI"), (vm.Disks[0].Format, vm.Disks[0].Type, vm.Disks[0].Controller));
        // 2016 has Guest Service Interface, off by default.
        Assert.Equal(6, vm.IntegrationComponents!.Count);
        Assert.False(vm.IntegrationComponents!.Single(c => c.Name == "Guest Service Interface").Enabled);

        Assert.Equal(["KB3192137", "KB4282815"], h.Hotfixes!.Select(x => x.Id));
        Assert.Equal(new DateTime(2016, 10, 27, 10, 48, 47), TruncateToSecond(h.Hotfixes![0].InstalledOn!.Value).UtcDateTime);
        Assert.Equal(new DateTimeOffset(2018, 6, 12, 0, 0, 0, TimeSpan.Zero), h.Hotfixes[1].InstalledOn);

        Assert.Null(h.Storage!.DisableDeleteNotification);
        Assert.Contains("absent", Status(h, FactFamilies.Storage).Message, StringComparison.Ordinal);

        var lm = h.LiveMigration!;
        Assert.Equal(("CredSSP", true, "SMB"), (lm.Authentication, lm.UseAnyNetwork, lm.PerformanceOption));

        var task = Assert.Single(h.ScheduledTasks!);
        Assert.Equal(("Disabled", 1, (string?)null), (task.State, task.StateCode, task.MaintenancePeriod));
        var trigger = Assert.Single(task.Triggers);
        Assert.Equal(("MSFT_TaskWeeklyTrigger", "Weekly", 1, 1), (trigger.ClassName, trigger.Kind, trigger.DaysOfWeek, trigger.WeeksInterval));
        Assert.Null(task.LastRunTime);
        Assert.Equal(267011, task.LastTaskResult);

        Assert.Null(h.Smb!.RdmaEnabled);
        Assert.Empty(h.Smb.Shares);
        Assert.Contains("InvalidClass", Status(h, FactFamilies.Smb).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Access_denied_on_one_class_fails_only_that_family()
    {
        var h = await CollectAsync("hv2012-access-denied-one-class");
        var vms = Status(h, FactFamilies.Vms);
        Assert.Equal((CollectionState.Error, (int)CimErrorCode.AccessDenied), (vms.Status, vms.ErrorCode));
        Assert.Contains("Access denied", vms.Message, StringComparison.Ordinal);
        Assert.Null(h.Vms);
        var storage = Status(h, FactFamilies.Storage);
        Assert.Equal((CollectionState.Error, 5), (storage.Status, storage.ErrorCode));
        Assert.Contains("access denied", storage.Message, StringComparison.Ordinal);
        Assert.Null(h.Storage);
        Assert.All(h.Collection.Where(c => c.Collector is not FactFamilies.Vms and not FactFamilies.Storage),
            c => Assert.Equal(CollectionState.Ok, c.Status));
        Assert.NotNull(h.LiveMigration); // same namespace, another class: still read
    }

    [Fact]
    public async Task Server_without_hyperv_reports_unsupported_with_reasons()
    {
        var h = await CollectAsync("server-without-hyperv");
        Assert.Equal("FS1", h.Name);
        foreach (var family in new[] { FactFamilies.Vms, FactFamilies.LiveMigration, FactFamilies.IntegrationServices })
        {
            var s = Status(h, family);
            Assert.Equal(CollectionState.Unsupported, s.Status);
            Assert.Contains("Hyper-V role not installed", s.Message, StringComparison.Ordinal);
        }
        Assert.False(h.Roles!.HyperV);
        Assert.Null(h.Cluster);
        Assert.Equal(CollectionState.Ok, Status(h, FactFamilies.Cluster).Status);
        Assert.Null(h.Vms);
        Assert.Null(h.IntegrationServices);
    }

    [Fact]
    public async Task Collected_hosts_validate_against_the_snapshot_schema()
    {
        var replay = Audit.Collectors.Recording.ReplayCimSessionFactory.Load(CimRecording.Folder);
        var hosts = (await new CollectionRunner(replay).RunAsync(replay.Hosts, new CollectionRunOptions())).Hosts;
        CimRecording.AssertAllAnswered(replay);
        var snapshot = new Snapshot { CollectedAt = new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero), Hosts = hosts };
        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(snapshot, AuditJson.Options));
        var loaded = SnapshotLoader.Parse(bytes, "collected.snapshot.json");
        Assert.Equal(CimRecording.Names.Count, loaded.Value.Hosts.Count);
        Assert.Equal(hosts.Select(x => x.Vms?.Count), loaded.Value.Hosts.Select(x => x.Vms?.Count));
        Assert.Contains(loaded.Value.Hosts, x => x.Vms?.Count > 0);
    }

    [Fact]
    public async Task A_collector_that_throws_something_unexpected_is_an_error_and_the_rest_still_run()
    {
        var (_, session) = await CimRecording.OpenAsync("hv2012-cluster-node");
        var h = await new HostCollector().CollectAsync(new ThrowingOn(session, RolesCollector.Query), new HostFacts { Name = "HV1" }, CancellationToken.None);
        var roles = Status(h, FactFamilies.Roles);
        Assert.Equal(CollectionState.Error, roles.Status);
        Assert.Contains("InvalidOperationException: boom", roles.Message, StringComparison.Ordinal);
        Assert.Equal(9, h.Collection.Count(c => c.Status == CollectionState.Ok));
    }

    [Theory]
    [InlineData("11/27/2012", "2012-11-27T00:00:00Z")]
    [InlineData("3/5/2013", "2013-03-05T00:00:00Z")]
    [InlineData("2013-03-05", "2013-03-05T00:00:00Z")]
    [InlineData("27.11.2012", "2012-11-27T00:00:00Z")]
    [InlineData("20121127", "2012-11-27T00:00:00Z")]
    [InlineData("01cdcc80b7e07fc0", "2012-11-27T09:22:27.6435904Z")]
    [InlineData("", null)]
    [InlineData("yesterday", null)]
    [InlineData("13/45/2012", null)]
    public void InstalledOn_forms(string raw, string? expected)
    {
        var parsed = HotfixCollector.ParseInstalledOn(raw);
        Assert.Equal(expected is null ? null : DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), parsed);
    }

    [Fact]
    public void Cim_xml_with_a_dtd_is_refused_not_expanded()
    {
        const string xxe = "<!DOCTYPE INSTANCE [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><INSTANCE CLASSNAME=\"Msvm_KvpExchangeDataItem\"><PROPERTY NAME=\"Data\" TYPE=\"string\"><VALUE>&x;</VALUE></PROPERTY></INSTANCE>";
        Assert.Null(CimXmlInstanceParser.TryParse(xxe));
        var ok = CimXmlInstanceParser.TryParse("<INSTANCE CLASSNAME=\"C\"><PROPERTY.ARRAY NAME=\"A\" TYPE=\"string\"><VALUE.ARRAY><VALUE>x</VALUE><VALUE>y</VALUE></VALUE.ARRAY></PROPERTY.ARRAY><PROPERTY NAME=\"B\" TYPE=\"uint16\"><VALUE>7</VALUE></PROPERTY></INSTANCE>");
        Assert.Equal(["x", "y"], ok!.GetStrings("A"));
        Assert.Equal(7, ok.GetInt("B"));
    }

    [Theory]
    [InlineData(@"\\HV1\root\virtualization\v2:Msvm_ResourceAllocationSettingData.InstanceID=""Microsoft:AB\\83F8\\0\\0\\D""", @"Microsoft:AB\83F8\0\0\D")]
    [InlineData(@"Msvm_X.InstanceID=""a\""b""", @"a""b")]
    [InlineData("no key here", null)]
    [InlineData(@"Msvm_X.InstanceID=""unterminated", null)]
    public void Instance_id_from_an_object_path(string path, string? expected) => Assert.Equal(expected, VmCollector.InstanceIdOfPath(path));
}

public sealed class CimRecordTests
{
    [Fact]
    public void Values_convert_between_the_types_MI_and_recordings_use()
    {
        var r = new CimRecord("C", [
            new("U32", 4294967295u), new("U16", (ushort)7), new("S", "12"), new("B", true), new("Dmtf", "20121127092227.000000+060"),
            new("Iso", "2026-11-21T03:12:00Z"), new("Local", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)), new("Arr", new[] { "a", "b" }),
            new("Nested", new CimRecord("N", [new("X", 1L)])), new("Big", ulong.MaxValue),
        ]);
        Assert.Equal(4294967295L, r.GetLong("U32"));
        Assert.Null(r.GetInt("U32")); // does not fit: no silent wrap-around
        Assert.Equal(7, r.GetInt("U16"));
        Assert.Equal(12, r.GetInt("S"));
        Assert.True(r.GetBool("B"));
        Assert.Equal(new DateTimeOffset(2012, 11, 27, 8, 22, 27, TimeSpan.Zero), r.GetDateTime("Dmtf"));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 3, 12, 0, TimeSpan.Zero), r.GetDateTime("Iso"));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), r.GetDateTime("Local"));
        Assert.Equal(["a", "b"], r.GetStrings("Arr"));
        Assert.Equal(1, r.GetRecord("Nested")!.GetInt("X"));
        Assert.Null(r.GetLong("Big"));
        Assert.Null(r.GetString("Missing"));
        Assert.Empty(r.GetRecords("Missing"));
    }
}

/// <summary>A session whose one query throws something no collector expects.</summary>
internal sealed class ThrowingOn(ICimSession inner, string wql) : ICimSession
{
    public string ComputerName => inner.ComputerName;
    public Task TestConnectionAsync(CancellationToken cancellationToken) => inner.TestConnectionAsync(cancellationToken);
    public Task<IReadOnlyList<CimRecord>> QueryAsync(string cimNamespace, string query, CancellationToken cancellationToken) =>
        query == wql ? throw new InvalidOperationException("boom") : inner.QueryAsync(cimNamespace, query, cancellationToken);
    public Task<CimMethodOutput> InvokeStaticAsync(string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
        inner.InvokeStaticAsync(cimNamespace, className, method, arguments, cancellationToken);
    public Task<CimMethodOutput> InvokeAsync(string cimNamespace, CimRecord instance, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
        inner.InvokeAsync(cimNamespace, instance, method, arguments, cancellationToken);
    public void Dispose() => inner.Dispose();
}
