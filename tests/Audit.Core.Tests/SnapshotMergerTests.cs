using System.Text;
using System.Text.Json;
using Audit.Core.Loading;
using Audit.Core.Snapshots;

namespace Audit.Core.Tests;

public sealed class SnapshotMergerTests
{
    private static LoadedJson<Snapshot> Load(Snapshot s, string name) =>
        SnapshotLoader.Parse(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(s, AuditJson.Options)), name);

    private static HostFacts Host(string name) => new()
    {
        Name = name,
        Collection = [new CollectionStatus { Collector = FactFamilies.Os, Status = CollectionState.Ok }],
    };

    private static ComputerFacts Computer(string name, params string[] delegation) => new()
    {
        SamAccountName = name + "$",
        DistinguishedName = $"CN={name},CN=Computers,DC=lab,DC=test",
        UserAccountControl = 4096,
        AllowedToDelegateTo = delegation,
    };

    private static DirectoryFacts Directory(CollectionState state, params ComputerFacts[] computers) => new()
    {
        Domain = "lab.test",
        BaseDn = "DC=lab,DC=test",
        Collection = new CollectionStatus { Collector = FactFamilies.Directory, Status = state },
        Computers = computers,
    };

    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 2, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Tuesday = Monday.AddDays(1);

    [Fact]
    public void Hosts_are_joined_sorted_latest_time_and_completeness_carried()
    {
        var a = Load(new Snapshot { CollectedAt = Monday, Hosts = [Host("ZULU"), Host("ALPHA")], Collector = new ToolInfo { Name = "audit", Machine = "SITE-A" } }, "a.json");
        var b = Load(new Snapshot { CollectedAt = Tuesday, Complete = false, Hosts = [Host("MIKE")], Collector = new ToolInfo { Name = "audit", Machine = "SITE-B" } }, "b.json");
        var merged = SnapshotMerger.Merge([a, b], new ToolInfo { Name = "audit", Version = "1" });
        Assert.Equal(["ALPHA", "MIKE", "ZULU"], merged.Hosts.Select(h => h.Name));
        Assert.Equal(Tuesday, merged.CollectedAt);
        Assert.False(merged.Complete);
        Assert.Equal("SITE-A, SITE-B", merged.Collector!.Machine);
        Assert.Null(merged.Directory);
    }

    [Fact]
    public void A_host_in_two_snapshots_is_an_error_naming_both_places_not_an_overwrite()
    {
        var a = Load(new Snapshot { CollectedAt = Monday, Hosts = [Host("ALPHA"), Host("ZULU")] }, "a.json");
        var b = Load(new Snapshot { CollectedAt = Tuesday, Hosts = [Host("zulu")] }, "b.json");
        var e = Assert.Throws<InputException>(() => SnapshotMerger.Merge([a, b]));
        var d = Assert.Single(e.Diagnostics);
        Assert.Equal(DiagnosticCodes.DuplicateHost, d.Code);
        Assert.Equal("b.json", d.File);
        Assert.True(d.Line > 0);
        Assert.Contains("host 'zulu' is in more than one snapshot (also a.json(", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Directories_of_one_domain_join_by_dn_and_a_successful_read_beats_a_failed_one()
    {
        var hv1 = Computer("HV1", "cifs/HV2");
        var a = Load(new Snapshot { CollectedAt = Monday, Directory = Directory(CollectionState.Ok, hv1) }, "a.json");
        var b = Load(new Snapshot { CollectedAt = Monday, Directory = Directory(CollectionState.Ok, hv1, Computer("HV2")) }, "b.json");
        var failed = Load(new Snapshot { CollectedAt = Monday, Directory = Directory(CollectionState.Error) }, "c.json");
        Assert.Equal(["HV1$", "HV2$"], SnapshotMerger.Merge([a, b]).Directory!.Computers.Select(c => c.SamAccountName));
        Assert.Equal(CollectionState.Ok, SnapshotMerger.Merge([failed, a]).Directory!.Collection.Status);
        Assert.Single(SnapshotMerger.Merge([failed, a]).Directory!.Computers);
    }

    [Fact]
    public void Conflicting_directory_entries_and_different_domains_are_AUD0042()
    {
        var a = Load(new Snapshot { CollectedAt = Monday, Directory = Directory(CollectionState.Ok, Computer("HV1", "cifs/HV2")) }, "a.json");
        var b = Load(new Snapshot { CollectedAt = Monday, Directory = Directory(CollectionState.Ok, Computer("HV1")) }, "b.json");
        var e = Assert.Throws<InputException>(() => SnapshotMerger.Merge([a, b]));
        Assert.Equal(DiagnosticCodes.DirectoryConflict, Assert.Single(e.Diagnostics).Code);

        var other = Load(new Snapshot { CollectedAt = Monday, Directory = Directory(CollectionState.Ok) with { Domain = "corp.example", BaseDn = "DC=corp,DC=example" } }, "o.json");
        var e2 = Assert.Throws<InputException>(() => SnapshotMerger.Merge([a, other]));
        Assert.Contains("'corp.example'", Assert.Single(e2.Diagnostics).Message, StringComparison.Ordinal);
    }
}
