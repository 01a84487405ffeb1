using System.Text.Json;
using Audit.Core.Results;

namespace Audit.Core.Tests;

public class EntityIdTests
{
    public static TheoryData<string, Scope> EveryKind => new()
    {
        { "host", Scope.Host },
        { "vm", Scope.Vm },
        { "duplicate vm", Scope.Vm },
        { "vm whose name ends in brackets", Scope.Vm },
        { "vms of a host whose inventory failed", Scope.Vm },
        { "pair", Scope.HostPair },
        { "partners of a host whose cluster failed", Scope.HostPair },
        { "computer", Scope.Computer },
        { "directory", Scope.Computer },
        { "cluster", Scope.Cluster },
        { "cluster of a host whose cluster failed", Scope.Cluster },
    };

    private static EntityId Make(string what) => what switch
    {
        "host" => EntityId.Host("ZULU"),
        "vm" => EntityId.Vm("ZULU", "VM01"),
        "duplicate vm" => EntityId.Vm("ZULU", "VM01", "4f1c3d7e-0b8a-4a41-9f1e-2d6c1a0b9e77"),
        "vm whose name ends in brackets" => EntityId.Vm("ZULU", "web [blue]"),
        "vms of a host whose inventory failed" => EntityId.AllVmsOf("ZULU"),
        "pair" => EntityId.Pair("ZULU", "YANKEE"),
        "partners of a host whose cluster failed" => EntityId.AllPairsFrom("ZULU"),
        "computer" => EntityId.Computer("ZULU$"),
        "directory" => EntityId.Directory,
        "cluster" => EntityId.Cluster("HVCLU1"),
        "cluster of a host whose cluster failed" => EntityId.ClusterOf("ZULU"),
        _ => throw new ArgumentOutOfRangeException(nameof(what)),
    };

    [Theory]
    [MemberData(nameof(EveryKind))]
    public void A_key_read_back_with_its_scope_is_the_same_identity(string what, Scope scope)
    {
        var id = Make(what);
        var back = EntityId.Parse(id.Key, scope);
        Assert.Equal(id, back);
        Assert.Equal((id.Kind, id.Name, id.Member, id.VmId, id.IsStandIn, id.HostName, id.VmLabel), (back.Kind, back.Name, back.Member, back.VmId, back.IsStandIn, back.HostName, back.VmLabel));
    }

    [Fact]
    public void Keys_are_the_texts_earlier_runs_wrote()
    {
        Assert.Equal(
            ["ZULU", "ZULU/VM01", "ZULU/VM01 [4f1c3d7e-0b8a-4a41-9f1e-2d6c1a0b9e77]", "ZULU/*", "ZULU->YANKEE", "ZULU->*", "ZULU$", "(directory)", "HVCLU1", "cluster-of:ZULU"],
            new[] { "host", "vm", "duplicate vm", "vms of a host whose inventory failed", "pair", "partners of a host whose cluster failed", "computer", "directory", "cluster", "cluster of a host whose cluster failed" }.Select(w => Make(w).Key));
    }

    [Fact]
    public void A_host_and_a_cluster_of_the_same_name_are_different_identities()
    {
        Assert.NotEqual(EntityId.Host("X"), EntityId.Cluster("X"));
        Assert.Equal(EntityId.Host("X"), EntityId.Parse("X", Scope.Host));
        Assert.Equal(EntityKind.Cluster, EntityId.Parse("X", Scope.Cluster).Kind);
        Assert.Null(EntityId.Cluster("X").HostName);
        Assert.Equal("ZULU", EntityId.ClusterOf("ZULU").HostName);
    }

    [Fact]
    public void A_verdict_read_from_results_json_knows_what_it_judges()
    {
        var verdict = new Verdict { RuleId = "HV-LM-001", Scope = Scope.HostPair, Entity = EntityId.Pair("ZULU", "YANKEE"), Host = "ZULU", Message = "m" };
        var json = JsonSerializer.Serialize(verdict, AuditJson.Compact);
        Assert.Contains("\"entity\":\"ZULU-\\u003EYANKEE\"", json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<Verdict>(json, AuditJson.Compact)!;
        Assert.Equal((EntityKind.HostPair, "ZULU", "YANKEE"), (back.Entity.Kind, back.Entity.Name, back.Entity.Member));
        Assert.Equal(verdict, back);
    }
}
