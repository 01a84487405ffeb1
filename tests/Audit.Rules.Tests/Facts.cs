using Audit.Core.Snapshots;

namespace Audit.Rules.Tests;

/// <summary>Small snapshots built in code, each named for what it shows.</summary>
internal static class Facts
{
    public static readonly DateTimeOffset At = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    public static IReadOnlyList<CollectionStatus> AllOk() =>
        [.. FactFamilies.OfHosts.Select(c => new CollectionStatus { Collector = c, Status = CollectionState.Ok })];

    public static IReadOnlyList<CollectionStatus> With(string collector, CollectionState state, string message) =>
        [.. AllOk().Select(c => c.Collector == collector ? c with { Status = state, Message = message } : c)];

    public static HostFacts Host(string name, string? cluster = null, IReadOnlyList<CollectionStatus>? collection = null, IReadOnlyList<VmFacts>? vms = null,
        IReadOnlyList<HotfixFacts>? hotfixes = null, string os = "6.2.9200") => new()
        {
            Name = name,
            Fqdn = name.ToLowerInvariant() + ".lab.test",
            Cluster = cluster,
            Os = new OsFacts { Version = os, ProductType = 3 },
            Roles = new RoleFacts { HyperV = true },
            IntegrationServices = new Dictionary<string, string> { ["Microsoft-Hyper-V-Guest-Installer-Win6x-Package"] = "6.2.9200.16433" },
            Vms = vms ?? [],
            Hotfixes = hotfixes ?? [new HotfixFacts { Id = "KB2770917" }],
            Collection = collection ?? AllOk(),
        };

    public static VmFacts Vm(string name, string isVersion, string state = "Running") => new()
    {
        Name = name,
        Id = Guid.NewGuid().ToString(),
        State = state,
        Guest = state == "Running" ? new GuestFacts { OsMajorVersion = 6, IntegrationServicesVersion = isVersion } : null,
    };

    public static Snapshot Snapshot(params HostFacts[] hosts) => new() { CollectedAt = At, Hosts = hosts };

    public static ComputerFacts Computer(string name, int uac = 4096, params string[] delegateTo) => new()
    {
        SamAccountName = name + "$",
        DnsHostName = name.ToLowerInvariant() + ".lab.test",
        DistinguishedName = $"CN={name},DC=lab,DC=test",
        UserAccountControl = uac,
        Flags = UacFlags.Decode(uac),
        AllowedToDelegateTo = delegateTo,
    };

    public static DirectoryFacts Directory(params ComputerFacts[] computers) => new()
    {
        Collection = new CollectionStatus { Collector = FactFamilies.Directory, Status = CollectionState.Ok },
        Computers = computers,
    };
}
