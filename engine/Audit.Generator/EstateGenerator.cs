using System.Globalization;
using System.Text.Json;
using Audit.Core;
using Audit.Core.Snapshots;

namespace Audit.Generator;

/// <summary>A generated snapshot and how many violations of each rule were injected into it.</summary>
public sealed record GeneratedEstate(Snapshot Snapshot, IReadOnlyDictionary<string, int> Injected);

/// <summary>
/// Generates a realistic, deterministic Hyper-V estate snapshot: 2012 / 2012 R2 / 2016 / 2019 clusters and stand-alone
/// hosts, guests from XP and 2003 up to 2019 with the Integration Services version each family gets, hotfix lists of
/// realistic length, constrained-delegation entries for every ordered pair of cluster nodes, ScheduledDefrag tasks,
/// VHD/VHDX disks and SMB settings. A healthy estate passes every shipped rule; violations are then injected rule by
/// rule for a share (<see cref="GeneratorOptions.ViolationRate"/>) of the entities the rule applies to.
/// </summary>
public static class EstateGenerator
{
    private enum HostOs
    {
        W2012,
        W2012R2,
        W2016,
        W2019,
    }

    private sealed record OsInfo(string Caption, string Version, string Build, string DirectoryVersion);

    private static readonly Dictionary<HostOs, OsInfo> Oses = new()
    {
        [HostOs.W2012] = new("Microsoft Windows Server 2012 Datacenter", "6.2.9200", "9200", "6.2 (9200)"),
        [HostOs.W2012R2] = new("Microsoft Windows Server 2012 R2 Datacenter", "6.3.9600", "9600", "6.3 (9600)"),
        [HostOs.W2016] = new("Microsoft Windows Server 2016 Datacenter", "10.0.14393", "14393", "10.0 (14393)"),
        [HostOs.W2019] = new("Microsoft Windows Server 2019 Datacenter", "10.0.17763", "17763", "10.0 (17763)"),
    };

    private sealed record GuestOs(string Name, string Version, int Major, int Minor, string Build, string Csd, int Sp, int ProductType, string Short)
    {
        public bool SupportsUnmap => Major > 6 || (Major == 6 && Minor >= 2);
    }

    private static readonly GuestOs Xp = new("Windows XP Professional", "5.1.2600", 5, 1, "2600", "Service Pack 3", 3, 1, "xp");
    private static readonly GuestOs W2003 = new("Windows Server 2003 R2 Enterprise Edition", "5.2.3790", 5, 2, "3790", "Service Pack 2", 2, 3, "w2k3");
    private static readonly GuestOs W2008 = new("Windows Server 2008 Enterprise", "6.0.6002", 6, 0, "6002", "Service Pack 2", 2, 3, "w2k8");
    private static readonly GuestOs W2008R2 = new("Windows Server 2008 R2 Enterprise", "6.1.7601", 6, 1, "7601", "Service Pack 1", 1, 3, "w2k8r2");
    private static readonly GuestOs G2012 = new("Windows Server 2012 Datacenter", "6.2.9200", 6, 2, "9200", "", 0, 3, "w2012");
    private static readonly GuestOs G2012R2 = new("Windows Server 2012 R2 Datacenter", "6.3.9600", 6, 3, "9600", "", 0, 3, "w2012r2");
    private static readonly GuestOs G2016 = new("Windows Server 2016 Datacenter", "10.0.14393", 10, 0, "14393", "", 0, 3, "w2016");
    private static readonly GuestOs G2019 = new("Windows Server 2019 Datacenter", "10.0.17763", 10, 0, "17763", "", 0, 3, "w2019");

    private static readonly Dictionary<HostOs, (GuestOs, int)[]> GuestMix = new()
    {
        [HostOs.W2012] = [(Xp, 4), (W2003, 8), (W2008, 8), (W2008R2, 40), (G2012, 40)],
        [HostOs.W2012R2] = [(W2003, 4), (W2008R2, 30), (G2012, 30), (G2012R2, 36)],
        [HostOs.W2016] = [(W2008R2, 15), (G2012R2, 35), (G2016, 50)],
        [HostOs.W2019] = [(G2012R2, 20), (G2016, 40), (G2019, 40)],
    };

    private const string Win6x = "Microsoft-Hyper-V-Guest-Installer-Win6x-Package";
    private const string Win5x = "Microsoft-Hyper-V-Guest-Installer-Win5x-Package";
    private const string SinglePackage = "Microsoft-Hyper-V-Guest-Installer";
    private const string Is2012Rtm = "6.2.9200.16384";
    private const string Is2012Updated = "6.2.9200.16433";
    private const string Is2012R2 = "6.3.9600.18080";
    private const string Migration = "Microsoft Virtual System Migration Service";

    private static readonly string[] Kb2784261 =
        ["KB2770917", "KB2803748", "KB2838043", "KB2894464", "KB2878635", "KB2913695", "KB2929869", "KB2916993", "KB3004098", "KB3048474", "KB3018489", "KB3062586"];

    private static readonly string[] Roles = ["SQL", "WEB", "APP", "FILE", "RDS", "EXCH", "SAP", "CTX", "BI", "LEGACY"];

    /// <summary>Problems such as a violation rule being impossible to honour are not errors: the counts say what was injected.</summary>
    public static GeneratedEstate Generate(GeneratorOptions options)
    {
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(options));
        }
        return new Builder(options).Build();
    }

    /// <summary>The snapshot as written by <c>audit generate</c>: indented UTF-8 JSON, byte-identical for the same options.</summary>
    public static void Write(Snapshot snapshot, Stream stream) => JsonSerializer.Serialize(stream, snapshot, AuditJson.Options);

    private sealed class HostPlan
    {
        public required int Index { get; init; }
        public required string Name { get; init; }
        public required HostOs Os { get; init; }
        public string? Cluster { get; init; }
        public List<HostPlan> Unit { get; set; } = [];
        public string Fqdn(string domain) => Name.ToLowerInvariant() + "." + domain;
    }

    private sealed class Builder(GeneratorOptions o)
    {
        private readonly SeededRandom _rng = new(o.Seed);
        private readonly double _r = o.ViolationRate;
        private readonly SortedDictionary<string, int> _injected = new(StringComparer.Ordinal);

        private void Count(string rule, int n)
        {
            if (n > 0)
            {
                _injected[rule] = _injected.GetValueOrDefault(rule) + n;
            }
        }

        public GeneratedEstate Build()
        {
            var plans = PlanHosts();
            var units = plans.Select(p => p.Unit).Distinct().ToList();
            var clusters = units.Where(u => u[0].Cluster is not null).ToList();
            var multiNode = clusters.Where(c => c.Count > 1).ToList();

            // Cluster-wide settings are decided per unit (a cluster, or a stand-alone host) so that cluster
            // consistency rules (HV-LM-005, KB-003) fail only where a violation is injected for them.
            var lmDisabled = PickUnits("HV-LM-001", units);
            var credSsp = PickUnits("HV-LM-002", units);
            var tooMany = PickUnits("HV-LM-003", units);
            var anyNetwork = PickUnits("HV-LM-004", units);
            var lmDrift = _rng.Quota(multiNode.Where(c => !tooMany.Contains(c)), _r);
            Count("HV-LM-005", lmDrift.Count);

            var units2012 = units.Where(u => u[0].Os == HostOs.W2012).ToList();
            var noKb2770917 = PickUnits("KB-001", units2012);
            var clustered2012 = units2012.Where(u => u[0].Cluster is not null).ToList();
            var kb004Target = (int)Math.Round(_r * clustered2012.Sum(u => u.Count), MidpointRounding.AwayFromZero)
                - clustered2012.Where(noKb2770917.Contains).Sum(u => u.Count);
            var missingRecommended = PickUnitsByHosts(clustered2012.Where(u => !noKb2770917.Contains(u)), kb004Target);
            Count("KB-004", missingRecommended.Sum(u => u.Count) + clustered2012.Where(noKb2770917.Contains).Sum(u => u.Count));
            var kbDrift = _rng.Quota(multiNode, _r);
            Count("KB-003", kbDrift.Count);
            var hotfixFailed = _rng.Quota(plans, o.ErrorRate);

            var unitHotfixes = new Dictionary<List<HostPlan>, List<HotfixFacts>>();
            foreach (var u in units)
            {
                unitHotfixes[u] = Hotfixes(u[0].Os, noKb2770917.Contains(u), missingRecommended.Contains(u));
            }

            var hosts = new List<HostFacts>();
            foreach (var p in plans)
            {
                var updated = !noKb2770917.Contains(p.Unit);
                var vms = Enumerable.Range(1, o.VmsPerHost).Select(i => Vm(p, i, updated)).ToList();
                var hotfixes = unitHotfixes[p.Unit];
                if (kbDrift.Contains(p.Unit) && ReferenceEquals(p, p.Unit[^1]))
                {
                    hotfixes = [.. hotfixes, Hotfix("KB4019215", "Security Update", o.CollectedAt.AddDays(-40))];
                }
                var unit = p.Unit;
                var drift = lmDrift.Contains(unit) && ReferenceEquals(p, unit[^1]);
                hosts.Add(new HostFacts
                {
                    Name = p.Name,
                    Fqdn = p.Fqdn(o.Domain),
                    Domain = o.Domain,
                    Cluster = p.Cluster,
                    // Declared migration partners (shared-nothing moves between the nodes too), so that the delegation
                    // and live-migration rules have pairs and settings to judge; the cluster alone would make them not applicable.
                    MigrationGroup = p.Cluster,
                    Os = new OsFacts { Caption = Oses[p.Os].Caption, Version = Oses[p.Os].Version, BuildNumber = Oses[p.Os].Build, ServicePackMajor = 0, ProductType = 3 },
                    Roles = new RoleFacts { HyperV = true, FailoverClustering = p.Cluster is not null, DomainController = false, FeatureIds = p.Cluster is not null ? [20, 33] : [20] },
                    IntegrationServices = IsPackages(p.Os, updated),
                    Vms = vms,
                    Hotfixes = hotfixFailed.Contains(p) ? null : hotfixes,
                    LiveMigration = LiveMigration(p, lmDisabled.Contains(unit), credSsp.Contains(unit), tooMany.Contains(unit), anyNetwork.Contains(unit), drift),
                    Storage = new StorageFacts { DisableDeleteNotification = 0 },
                    ScheduledTasks = Tasks(p.Os),
                    Smb = new SmbFacts
                    {
                        EnableMultiChannel = true,
                        EnableSmb1Protocol = false,
                        RequireSecuritySignature = false,
                        EncryptData = false,
                        RdmaEnabled = _rng.Chance(0.3),
                        Shares = DefaultShares(p.Cluster is not null),
                    },
                    Collection = Collection(hyperV: true, hotfixesFailed: hotfixFailed.Contains(p)),
                });
            }
            Count("(error) hotfix collection", hotfixFailed.Count);

            hosts.AddRange(DomainControllers());
            InjectHostViolations(hosts);
            InjectVmViolations(hosts);
            var directory = BuildDirectory(plans, hosts);

            var snapshot = new Snapshot
            {
                CollectedAt = o.CollectedAt,
                Collector = new ToolInfo { Name = "audit generate", Version = $"seed {o.Seed.ToString(CultureInfo.InvariantCulture)}", Machine = "GENERATOR" },
                Complete = true,
                Hosts = hosts,
                Directory = directory,
            };
            return new GeneratedEstate(snapshot, _injected);
        }

        private List<HostPlan> PlanHosts()
        {
            var standAlone = o.Hosts >= 10 ? o.Hosts / 10 : o.Hosts < 2 ? o.Hosts : 0;
            var clustered = o.Hosts - standAlone;
            var k = Math.Min(o.Clusters ?? (int)Math.Ceiling(clustered / 16.0), clustered);
            if (k == 0)
            {
                standAlone = o.Hosts;
                clustered = 0;
            }
            var plans = new List<HostPlan>();
            var index = 1;
            for (var c = 0; c < k; c++)
            {
                var size = clustered / k + (c < clustered % k ? 1 : 0);
                var os = _rng.Weighted<HostOs>([(HostOs.W2012, 40), (HostOs.W2012R2, 30), (HostOs.W2016, 20), (HostOs.W2019, 10)]);
                var name = $"HVCLU{(c + 1).ToString("D3", CultureInfo.InvariantCulture)}";
                var unit = new List<HostPlan>();
                for (var i = 0; i < size; i++, index++)
                {
                    var p = new HostPlan { Index = index, Name = HostName(index), Os = os, Cluster = name, Unit = unit };
                    unit.Add(p);
                    plans.Add(p);
                }
            }
            for (var i = 0; i < standAlone; i++, index++)
            {
                var os = _rng.Weighted<HostOs>([(HostOs.W2012, 40), (HostOs.W2012R2, 30), (HostOs.W2016, 20), (HostOs.W2019, 10)]);
                var p = new HostPlan { Index = index, Name = HostName(index), Os = os };
                p.Unit = [p];
                plans.Add(p);
            }
            return plans;
        }

        private static string HostName(int index) => "HV" + index.ToString("D4", CultureInfo.InvariantCulture);

        /// <summary>Whole units (clusters or stand-alone hosts) until round(rate x hosts) hosts are covered.</summary>
        private HashSet<List<HostPlan>> PickUnits(string rule, IReadOnlyList<List<HostPlan>> units)
        {
            var target = (int)Math.Round(_r * units.Sum(u => u.Count), MidpointRounding.AwayFromZero);
            var set = PickUnitsByHosts(units, target);
            Count(rule, set.Sum(u => u.Count));
            return set;
        }

        private HashSet<List<HostPlan>> PickUnitsByHosts(IEnumerable<List<HostPlan>> units, int targetHosts)
        {
            var set = new HashSet<List<HostPlan>>();
            var covered = 0;
            foreach (var u in _rng.Shuffled(units))
            {
                if (covered >= targetHosts)
                {
                    break;
                }
                // Take a unit only when it brings the count closer to the target (stand-alone hosts fill the rest).
                if (Math.Abs(covered + u.Count - targetHosts) >= targetHosts - covered)
                {
                    continue;
                }
                set.Add(u);
                covered += u.Count;
            }
            return set;
        }

        private static Dictionary<string, string> IsPackages(HostOs os, bool updated) => os switch
        {
            HostOs.W2012 => new() { [Win6x] = updated ? Is2012Updated : Is2012Rtm, [Win5x] = Is2012Rtm },
            HostOs.W2012R2 => new() { [SinglePackage] = Is2012R2 },
            HostOs.W2016 => new() { [SinglePackage] = "10.0.14393.0" },
            _ => new() { [SinglePackage] = "10.0.17763.1" },
        };

        /// <summary>What a guest reports when it runs the package its host offers for its family.</summary>
        private static string GuestIsVersion(HostOs os, GuestOs guest, bool updated) => os switch
        {
            HostOs.W2012 => guest.Major == 5 ? Is2012Rtm : updated ? Is2012Updated : Is2012Rtm,
            HostOs.W2012R2 => Is2012R2,
            _ => guest.Major >= 10 ? guest.Version + ".0" : Is2012R2,
        };

        private VmFacts Vm(HostPlan host, int i, bool updated)
        {
            var guest = _rng.Weighted(GuestMix[host.Os]);
            var role = guest.Major == 5 ? "LEGACY" : _rng.Pick(Roles);
            var name = $"{role}-{host.Index.ToString("D4", CultureInfo.InvariantCulture)}-{i.ToString("D2", CultureInfo.InvariantCulture)}";
            var roll = _rng.Next(100);
            var (state, code) = roll < 88 ? ("Running", 2) : roll < 98 ? ("Off", 3) : ("Saved", 32769);
            var gen2 = guest.SupportsUnmap && host.Os != HostOs.W2012 && _rng.Chance(0.7);
            var controller = gen2 ? "SCSI" : "IDE";
            var folder = host.Cluster is not null
                ? $@"C:\ClusterStorage\Volume{1 + (i % 4)}\{name}"
                : $@"D:\Hyper-V\Virtual Hard Disks\{name}";
            var disks = new List<DiskFacts>();
            // Old guests cannot send UNMAP: a careful admin gives them fixed disks (legacy XP/2003 keep VHD).
            if (guest.SupportsUnmap)
            {
                disks.Add(Disk($@"{folder}\{name.ToLowerInvariant()}-os.vhdx", "VHDX", "Dynamic", controller));
            }
            else
            {
                disks.Add(Disk($@"{folder}\{name.ToLowerInvariant()}-os.{(guest.Major == 5 ? "vhd" : "vhdx")}", guest.Major == 5 ? "VHD" : "VHDX", "Fixed", "IDE"));
            }
            if (_rng.Chance(0.5))
            {
                disks.Add(Disk($@"{folder}\{name.ToLowerInvariant()}-data.vhdx", "VHDX", guest.SupportsUnmap && _rng.Chance(0.5) ? "Dynamic" : "Fixed", "SCSI"));
            }
            return new VmFacts
            {
                Name = name,
                Id = _rng.NextGuid().ToString("D").ToUpperInvariant(),
                State = state,
                StateCode = code,
                Generation = gen2 ? 2 : 1,
                Guest = state != "Running" ? null : new GuestFacts
                {
                    OsName = guest.Name,
                    OsVersion = guest.Version,
                    OsMajorVersion = guest.Major,
                    OsMinorVersion = guest.Minor,
                    OsBuildNumber = guest.Build,
                    CsdVersion = guest.Csd,
                    ServicePackMajor = guest.Sp,
                    ProductType = guest.ProductType,
                    Fqdn = name.ToLowerInvariant() + "." + o.Domain,
                    IntegrationServicesVersion = GuestIsVersion(host.Os, guest, updated),
                },
                Disks = disks,
                IntegrationComponents = IntegrationComponents(host.Os),
            };
        }

        /// <summary>Hyper-V's defaults: every integration service offered but Guest Service Interface (2012 R2 and later only, off).</summary>
        private static List<IntegrationComponentFacts> IntegrationComponents(HostOs os) =>
        [
            .. (os == HostOs.W2012 ? Array.Empty<IntegrationComponentFacts>() : [new IntegrationComponentFacts { Name = "Guest Service Interface", Enabled = false, EnabledState = 3 }]),
            .. OfferedServices.Select(n => new IntegrationComponentFacts { Name = n, Enabled = true, EnabledState = 2 }),
        ];

        private static readonly string[] OfferedServices = ["Heartbeat", "Key-Value Pair Exchange", "Shutdown", "Time Synchronization", "VSS"];

        /// <summary>Services a violation of HV-IS-003 switches off (one each).</summary>
        private static readonly string[] ServicesTurnedOff = ["Heartbeat", "Shutdown", "Time Synchronization", "VSS"];

        private static DiskFacts Disk(string path, string format, string type, string controller) => new()
        {
            Path = path,
            Format = format,
            FormatCode = format == "VHD" ? 2 : 3,
            Type = type,
            TypeCode = type == "Fixed" ? 2 : type == "Dynamic" ? 3 : 4,
            Controller = controller,
            ControllerSubType = controller == "IDE" ? "Microsoft:Hyper-V:Emulated IDE Controller" : "Microsoft:Hyper-V:Synthetic SCSI Controller",
        };

        private readonly Dictionary<HostOs, string[]> _kbPools = [];

        /// <summary>A per-OS pool of plausible KB numbers for the routine updates every host carries.</summary>
        private string[] Pool(HostOs os)
        {
            if (!_kbPools.TryGetValue(os, out var pool))
            {
                var (low, high, size) = os switch
                {
                    HostOs.W2012 => (2750000, 4600000, 420),
                    HostOs.W2012R2 => (2880000, 4600000, 480),
                    _ => (3190000, 5050000, 60),
                };
                var set = new SortedSet<int>();
                while (set.Count < size)
                {
                    var kb = _rng.Next(low, high);
                    if (!Kb2784261.Contains("KB" + kb.ToString(CultureInfo.InvariantCulture)) && kb is not 3185280 and not 4282815 and not 4019215 and not 976424)
                    {
                        set.Add(kb);
                    }
                }
                _kbPools[os] = pool = [.. set.Select(k => "KB" + k.ToString(CultureInfo.InvariantCulture))];
            }
            return pool;
        }

        private List<HotfixFacts> Hotfixes(HostOs os, bool lacksCumulative, bool missesOneRecommended)
        {
            var pool = Pool(os);
            var count = os switch
            {
                HostOs.W2012 => _rng.Next(110, 190),
                HostOs.W2012R2 => _rng.Next(130, 220),
                _ => _rng.Next(8, 20),
            };
            var ids = new SortedSet<string>(_rng.Shuffled(pool).Take(count), StringComparer.Ordinal);
            if (os == HostOs.W2012 && !lacksCumulative)
            {
                if (missesOneRecommended)
                {
                    // The individual fixes of KB2784261 without the rollup that supersedes them, one of them missing.
                    var list = Kb2784261.ToList();
                    list.RemoveAt(1 + _rng.Next(list.Count - 1));
                    ids.UnionWith(list);
                }
                else
                {
                    // The November 2012 rollup and every fix of KB2784261 listed one by one: the rules accept a fix by its
                    // KB (or known supersedence), not from a Monthly Rollup whose baseline Microsoft does not name.
                    ids.UnionWith(Kb2784261);
                }
            }
            var start = new DateTimeOffset(os switch { HostOs.W2012 => 2012, HostOs.W2012R2 => 2014, HostOs.W2016 => 2017, _ => 2019 }, 1, 15, 0, 0, 0, TimeSpan.Zero);
            return Dated(ids, start);
        }

        /// <summary>Installation dates spread from <paramref name="start"/> to a few days before the snapshot, in KB order: a patched host (KB-006).</summary>
        private List<HotfixFacts> Dated(IEnumerable<string> ids, DateTimeOffset start)
        {
            var span = (o.CollectedAt - start).TotalDays - _rng.Next(3, 30);
            var ordered = ids.OrderBy(k => int.Parse(k.AsSpan(2), CultureInfo.InvariantCulture)).ToList();
            var result = new List<HotfixFacts>(ordered.Count);
            for (var i = 0; i < ordered.Count; i++)
            {
                var description = i % 5 == 0 ? "Security Update" : i % 7 == 0 ? "Hotfix" : "Update";
                result.Add(Hotfix(ordered[i], description, start.AddDays(Math.Floor(span * i / Math.Max(1, ordered.Count - 1)))));
            }
            return result;
        }

        private static HotfixFacts Hotfix(string id, string description, DateTimeOffset installed) => new()
        {
            Id = id,
            Description = description,
            InstalledOnRaw = installed.ToString("M/d/yyyy", CultureInfo.InvariantCulture),
            InstalledOn = installed,
            InstalledBy = @"NT AUTHORITY\SYSTEM",
        };

        private static LiveMigrationFacts LiveMigration(HostPlan p, bool disabled, bool credSsp, bool tooMany, bool anyNetwork, bool drift)
        {
            var subnet = $"10.{20 + (p.Index / 250 % 200)}.{p.Index % 250}.0";
            return new LiveMigrationFacts
            {
                Enabled = !disabled,
                AuthenticationType = credSsp ? 0 : 1,
                Authentication = credSsp ? "CredSSP" : "Kerberos",
                MaximumSimultaneousMigrations = tooMany ? 8 : drift ? 4 : 2,
                MaximumSimultaneousStorageMigrations = 2,
                UseAnyNetwork = anyNetwork,
                PerformanceOption = p.Os == HostOs.W2012 ? null : p.Os == HostOs.W2012R2 ? "Compression" : "SMB",
                Networks = anyNetwork
                    ? [new MigrationNetworkFacts { Subnet = "0.0.0.0", PrefixLength = 0, Priority = 0, Tags = ["Microsoft:UserManagedAllNetworks"] },
                       new MigrationNetworkFacts { Subnet = "::", PrefixLength = 0, Priority = 0, Tags = ["Microsoft:UserManagedAllNetworks"] }]
                    : [new MigrationNetworkFacts { Subnet = p.Cluster is null ? subnet : $"10.10.{p.Unit[0].Index % 250}.0", PrefixLength = 24, Priority = 1, Tags = ["Microsoft:UserManagedSubnet"] }],
            };
        }

        private List<ScheduledTaskFacts> Tasks(HostOs os)
        {
            var lastRun = o.CollectedAt.AddDays(-_rng.Next(1, 6)).AddHours(-_rng.Next(0, 20)).AddMinutes(-_rng.Next(0, 59));
            var weekly = os >= HostOs.W2016 && _rng.Chance(0.5);
            return
            [
                new ScheduledTaskFacts
                {
                    Path = @"\Microsoft\Windows\Defrag\",
                    Name = "ScheduledDefrag",
                    State = "Ready",
                    StateCode = 3,
                    Triggers = weekly ? [new TaskTriggerFacts { ClassName = "MSFT_TaskWeeklyTrigger", Kind = "Weekly", Enabled = true, DaysOfWeek = 1, WeeksInterval = 1, StartBoundary = "2017-01-01T01:00:00" }] : [],
                    MaintenancePeriod = weekly ? null : "P7D",
                    MaintenanceDeadline = weekly ? null : "P30D",
                    LastRunTime = lastRun,
                    NextRunTime = null,
                    LastTaskResult = 0,
                    NumberOfMissedRuns = 0,
                },
                new ScheduledTaskFacts
                {
                    Path = @"\Microsoft\Windows\Server Manager\",
                    Name = "ServerManager",
                    State = "Ready",
                    StateCode = 3,
                    Triggers = [new TaskTriggerFacts { ClassName = "MSFT_TaskLogonTrigger", Kind = "Logon", Enabled = true }],
                    LastRunTime = lastRun.AddDays(-1),
                    LastTaskResult = 0,
                },
            ];
        }

        private static List<SmbShareFacts> DefaultShares(bool clustered)
        {
            var list = new List<SmbShareFacts>
            {
                new() { Name = "ADMIN$", Path = @"C:\Windows", Description = "Remote Admin", Temporary = false },
                new() { Name = "C$", Path = @"C:\", Description = "Default share", Temporary = false },
                new() { Name = "IPC$", Path = "", Description = "Remote IPC", Temporary = false },
            };
            if (clustered)
            {
                list.Add(new() { Name = "ClusterStorage$", Path = @"C:\ClusterStorage", Description = "Cluster Shared Volumes Default Share", Temporary = false });
            }
            return list;
        }

        private static List<CollectionStatus> Collection(bool hyperV, bool hotfixesFailed)
        {
            var list = new List<CollectionStatus>();
            foreach (var c in FactFamilies.OfHosts)
            {
                if (c == FactFamilies.Hotfixes && hotfixesFailed)
                {
                    list.Add(new CollectionStatus { Collector = c, Status = CollectionState.Error, Message = "Access denied (Win32_QuickFixEngineering)", ErrorCode = 2, DurationMs = 35.0 });
                }
                else if (!hyperV && c is FactFamilies.IntegrationServices or FactFamilies.Vms or FactFamilies.LiveMigration)
                {
                    list.Add(new CollectionStatus { Collector = c, Status = CollectionState.Unsupported, Message = @"Hyper-V role not installed (root\virtualization\v2: invalid namespace)", DurationMs = 20.0 });
                }
                else
                {
                    list.Add(new CollectionStatus { Collector = c, Status = CollectionState.Ok, DurationMs = 120.0 });
                }
            }
            return list;
        }

        /// <summary>Per-host violations of host-scope rules that need no cluster-wide consistency.</summary>
        private void InjectHostViolations(List<HostFacts> hosts)
        {
            Apply("TRIM-001", hosts, _ => true, h => h with { Storage = new StorageFacts { DisableDeleteNotification = 1 } });
            Apply("TRIM-002", hosts, _ => true, h => WithDefrag(h, t => t with { State = "Disabled", StateCode = 1 }));
            Apply("TRIM-003", hosts, _ => true, h => WithDefrag(h, t => t with
            {
                MaintenancePeriod = null,
                MaintenanceDeadline = null,
                Triggers = [new TaskTriggerFacts { ClassName = "MSFT_TaskWeeklyTrigger", Kind = "Weekly", Enabled = true, DaysOfWeek = 1, WeeksInterval = 4, StartBoundary = "2013-01-01T01:00:00" }],
            }));
            Apply("TRIM-004", hosts, _ => true, h => WithDefrag(h, t => t with { LastRunTime = o.CollectedAt.AddDays(-_rng.Next(15, 90)) }));
            Apply("TRIM-005", hosts, _ => true, h => WithDefrag(h, t => _rng.Chance(0.5) ? t with { LastTaskResult = 0x80070005L } : t with { NumberOfMissedRuns = _rng.Next(1, 5) }));
            Apply("KB-006", hosts, h => h.Hotfixes is { Count: > 0 }, h =>
            {
                var shift = _rng.Next(60, 400);
                return h with { Hotfixes = [.. h.Hotfixes!.Select(x => Hotfix(x.Id, x.Description ?? "Update", x.InstalledOn!.Value.AddDays(-shift)))] };
            });
            Apply("SMB-001", hosts, h => h.Roles!.HyperV && h.LiveMigration!.Enabled, h => h with { Smb = h.Smb! with { EnableMultiChannel = false } });
            Apply("SMB-002", hosts, _ => true, h => h with { Smb = h.Smb! with { EnableSmb1Protocol = true } });
            Apply("SMB-003", hosts, _ => true, h => h with
            {
                Smb = h.Smb! with
                {
                    Shares = [.. h.Smb.Shares, new SmbShareFacts
                    {
                        Name = $"{h.Name}.{_rng.Next(1_000_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture)}$",
                        Path = $@"C:\$VSM$\{h.Name}.{_rng.Next(1_000_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture)}$",
                        Description = "Virtual System Migration temporary share",
                        Temporary = true,
                    }],
                },
            });
        }

        private static HostFacts WithDefrag(HostFacts h, Func<ScheduledTaskFacts, ScheduledTaskFacts> change) =>
            h with { ScheduledTasks = [.. h.ScheduledTasks!.Select(t => t.Name == "ScheduledDefrag" ? change(t) : t)] };

        private void Apply(string rule, List<HostFacts> hosts, Func<HostFacts, bool> applies, Func<HostFacts, HostFacts> violate)
        {
            var chosen = _rng.Quota(Enumerable.Range(0, hosts.Count).Where(i => applies(hosts[i])), _r);
            foreach (var i in chosen.Order())
            {
                hosts[i] = violate(hosts[i]);
            }
            Count(rule, chosen.Count);
        }

        private void InjectVmViolations(List<HostFacts> hosts)
        {
            var all = new List<(int Host, int Vm)>();
            for (var h = 0; h < hosts.Count; h++)
            {
                for (var v = 0; v < (hosts[h].Vms?.Count ?? 0); v++)
                {
                    all.Add((h, v));
                }
            }
            var vms = hosts.Select(h => (h.Vms ?? []).ToList()).ToList();
            bool PreIs(int h) => !Oses[Is(hosts[h])].Version.StartsWith("10.", StringComparison.Ordinal);
            VmFacts Get((int Host, int Vm) x) => vms[x.Host][x.Vm];
            void Set((int Host, int Vm) x, VmFacts v) => vms[x.Host][x.Vm] = v;

            // Data Exchange matters on every host version (HV-IS-002); the package comparison only before 2016 (HV-IS-001).
            var running = all.Where(x => PreIs(x.Host) && Get(x).State == "Running").ToList();
            var noKvp = _rng.Quota(all.Where(x => Get(x).State == "Running"), _r);
            foreach (var x in noKvp)
            {
                Set(x, Get(x) with { Guest = null });
            }
            Count("HV-IS-002", noKvp.Count);

            var stale = _rng.Quota(running.Where(x => !noKvp.Contains(x)), _r);
            foreach (var x in stale)
            {
                var g = Get(x).Guest!;
                Set(x, Get(x) with { Guest = g with { IntegrationServicesVersion = g.OsMajorVersion == 5 ? "6.1.7601.17514" : Older(g.IntegrationServicesVersion!) } });
            }
            Count("HV-IS-001", stale.Count);

            // Adds a disk in the folder of the VM's first disk, named after the VM with the suffix.
            void AddDisk((int Host, int Vm) x, string suffix, string format, string type, string controller)
            {
                var vm = Get(x);
                var folder = vm.Disks[0].Path[..vm.Disks[0].Path.LastIndexOf('\\')];
                Set(x, vm with { Disks = [.. vm.Disks, Disk($@"{folder}\{vm.Name.ToLowerInvariant()}{suffix}", format, type, controller)] });
            }

            var dynVhd = _rng.Quota(all, _r);
            foreach (var x in dynVhd)
            {
                AddDisk(x, "-scratch.vhd", "VHD", "Dynamic", "IDE");
            }
            Count("DISK-001", dynVhd.Count);

            var diffVhd = _rng.Quota(all, _r);
            foreach (var x in diffVhd)
            {
                AddDisk(x, "-test.avhd", "VHD", "Differencing", "SCSI");
            }
            Count("DISK-003", diffVhd.Count);

            var serviceOff = _rng.Quota(all, _r);
            foreach (var x in serviceOff)
            {
                var vm = Get(x);
                var off = _rng.Pick(ServicesTurnedOff);
                Set(x, vm with { IntegrationComponents = [.. vm.IntegrationComponents!.Select(c => c.Name == off ? c with { Enabled = false, EnabledState = 3 } : c)] });
            }
            Count("HV-IS-003", serviceOff.Count);

            bool Unmappable(VmFacts v) => v.State == "Running" && v.Guest?.OsVersion is not null && v.Disks.Any(d => d.Type == "Dynamic" && d.Format == "VHDX");
            var healthy = all.Count(x => Unmappable(Get(x)));
            var candidates = all.Where(x => Get(x) is { State: "Running", Guest: { OsMajorVersion: 5 or 6, OsMinorVersion: < 2 } } && !Unmappable(Get(x))).ToList();
            var want = _r >= 1 ? candidates.Count : (int)Math.Round(_r / (1 - _r) * healthy, MidpointRounding.AwayFromZero);
            var oldDynamic = _rng.Shuffled(candidates).Take(want).ToList();
            foreach (var x in oldDynamic)
            {
                AddDisk(x, "-grow.vhdx", "VHDX", "Dynamic", "SCSI");
            }
            Count("DISK-002", oldDynamic.Count);

            for (var h = 0; h < hosts.Count; h++)
            {
                if (hosts[h].Vms is not null)
                {
                    hosts[h] = hosts[h] with { Vms = vms[h] };
                }
            }
        }

        private static HostOs Is(HostFacts h) => Oses.First(kv => kv.Value.Version == h.Os!.Version).Key;

        private static string Older(string version)
        {
            var v = Version.Parse(version);
            return new Version(v.Major, v.Minor, v.Build, Math.Max(0, v.Revision - 49)).ToString();
        }

        private IEnumerable<HostFacts> DomainControllers()
        {
            var kb976424 = _rng.Quota([0], _r).Count > 0;
            Count("KB-002", kb976424 ? 1 : 0);
            var os = new[] { ("DC01", "6.1.7600", "7600", 0), ("DC02", "6.1.7601", "7601", 1) };
            foreach (var (name, version, build, sp) in os)
            {
                var pool = Pool(HostOs.W2012).Take(150).Where((_, i) => i % 2 == (sp == 0 ? 0 : 1)).ToList();
                if (sp == 0 && !kb976424)
                {
                    pool.Add("KB976424");
                }
                var hotfixes = Dated(pool, new DateTimeOffset(2012, 6, 1, 0, 0, 0, TimeSpan.Zero));
                yield return new HostFacts
                {
                    Name = name,
                    Fqdn = name.ToLowerInvariant() + "." + o.Domain,
                    Domain = o.Domain,
                    Os = new OsFacts { Caption = "Microsoft Windows Server 2008 R2 Enterprise", Version = version, BuildNumber = build, ServicePackMajor = sp, ProductType = 2 },
                    Roles = new RoleFacts { DomainController = true, FeatureIds = [110] },
                    Hotfixes = hotfixes,
                    Storage = new StorageFacts { DisableDeleteNotification = 0 },
                    ScheduledTasks = Tasks(HostOs.W2012),
                    Smb = new SmbFacts { EnableMultiChannel = true, EnableSmb1Protocol = false, RequireSecuritySignature = true, EncryptData = false, Shares = DefaultShares(false) },
                    Collection = Collection(hyperV: false, hotfixesFailed: false),
                };
            }
        }

        private DirectoryFacts BuildDirectory(List<HostPlan> plans, List<HostFacts> hosts)
        {
            var baseDn = string.Join(",", o.Domain.Split('.').Select(p => "DC=" + p));
            var byName = hosts.ToDictionary(h => h.Name, StringComparer.Ordinal);
            var pairs = new List<(HostPlan Source, HostPlan Target)>();
            foreach (var unit in plans.Where(p => p.Cluster is not null).Select(p => p.Unit).Distinct())
            {
                foreach (var a in unit)
                {
                    foreach (var b in unit)
                    {
                        if (!ReferenceEquals(a, b))
                        {
                            pairs.Add((a, b));
                        }
                    }
                }
            }
            var missing = _rng.Quota(pairs, _r);
            Count("AD-DELEG-001", missing.Count);

            var entries = plans.ToDictionary(p => p.Name, _ => new List<string>(), StringComparer.Ordinal);
            foreach (var (a, b) in pairs)
            {
                var spns = new List<string> { $"cifs/{b.Name}", $"cifs/{b.Fqdn(o.Domain)}", $"{Migration}/{b.Name}", $"{Migration}/{b.Fqdn(o.Domain)}" };
                if (missing.Contains((a, b)))
                {
                    spns.RemoveAt(_rng.Next(spns.Count));
                    if (_rng.Chance(0.3))
                    {
                        spns.RemoveAt(_rng.Next(spns.Count));
                    }
                }
                entries[a.Name].AddRange(spns);
            }

            var computers = new List<ComputerFacts>();
            var sid = 1100;
            foreach (var p in plans)
            {
                var modern = p.Os >= HostOs.W2016;
                var hasEntries = entries[p.Name].Count > 0;
                var uac = 0x1000 | (modern && hasEntries ? UacFlags.TrustedToAuthForDelegationBit : 0);
                computers.Add(Computer(p.Name, p.Fqdn(o.Domain), $"CN={p.Name},OU=Hyper-V,{baseDn}", uac, entries[p.Name],
                    Oses[p.Os].Caption.Replace("Microsoft ", "", StringComparison.Ordinal), Oses[p.Os].DirectoryVersion, sid++, hyperV: true));
            }
            foreach (var cluster in plans.Where(p => p.Cluster is not null).Select(p => p.Cluster!).Distinct(StringComparer.Ordinal))
            {
                computers.Add(Computer(cluster, cluster.ToLowerInvariant() + "." + o.Domain, $"CN={cluster},OU=Hyper-V,{baseDn}", 0x1000, [], null, null, sid++, hyperV: false));
            }
            for (var i = 1; i <= Math.Max(2, o.Hosts / 50); i++)
            {
                var name = "APP" + i.ToString("D3", CultureInfo.InvariantCulture);
                computers.Add(Computer(name, name.ToLowerInvariant() + "." + o.Domain, $"CN={name},OU=Servers,{baseDn}", 0x1000, [], "Windows Server 2016 Standard", "10.0 (14393)", sid++, hyperV: false));
            }
            // DC01 and DC02 are audited hosts; DC03 is known only from the directory (KB-005 judges it by its version).
            foreach (var dc in new[] { ("DC01", "6.1 (7600)"), ("DC02", "6.1 (7601)"), ("DC03", "6.1 (7601)") })
            {
                computers.Add(Computer(dc.Item1, dc.Item1.ToLowerInvariant() + "." + o.Domain, $"CN={dc.Item1},OU=Domain Controllers,{baseDn}", 0x82000, [],
                    "Windows Server 2008 R2 Enterprise", dc.Item2, sid++, hyperV: false));
            }

            var index = computers.Select((c, i) => (c, i)).ToDictionary(x => x.c.SamAccountName, x => x.i, StringComparer.Ordinal);
            void Change(string rule, IEnumerable<int> population, Func<ComputerFacts, ComputerFacts> violate)
            {
                var chosen = _rng.Quota(population, _r);
                foreach (var i in chosen.Order())
                {
                    computers[i] = violate(computers[i]);
                }
                Count(rule, chosen.Count);
            }
            var range = Enumerable.Range(0, computers.Count).ToList();
            Change("AD-DELEG-002", range.Where(i => !computers[i].Flags.ServerTrustAccount), c => WithUac(c, c.UserAccountControl | UacFlags.TrustedForDelegationBit));
            // The protocol of a host's delegation: 2016 and later need "any protocol" (AD-DELEG-003), 2012 / 2012 R2 "Kerberos only" (AD-DELEG-006).
            bool Delegating(int i) => byName.ContainsKey(computers[i].SamAccountName.TrimEnd('$')) && computers[i].AllowedToDelegateTo.Count > 0;
            bool Modern(int i) => computers[i].OperatingSystemVersion?.StartsWith("10.", StringComparison.Ordinal) == true;
            Change("AD-DELEG-003", range.Where(i => Delegating(i) && Modern(i)), c => WithUac(c, c.UserAccountControl & ~UacFlags.TrustedToAuthForDelegationBit));
            Change("AD-DELEG-006", range.Where(i => Delegating(i) && !Modern(i)), c => WithUac(c, c.UserAccountControl | UacFlags.TrustedToAuthForDelegationBit));
            Change("AD-DELEG-004", range.Where(i => computers[i].AllowedToDelegateTo.Count > 0),
                c => c with { AllowedToDelegateTo = [.. c.AllowedToDelegateTo, "cifs/HYPERV-HOSTS", $"{Migration}/HYPERV-HOSTS"] });

            return new DirectoryFacts
            {
                Domain = o.Domain,
                Source = $"ldaps://dc02.{o.Domain}:636",
                BaseDn = baseDn,
                Collection = new CollectionStatus { Collector = FactFamilies.Directory, Status = CollectionState.Ok, DurationMs = 300.0 + (computers.Count * 0.4) },
                Computers = computers,
                Groups =
                [
                    new GroupFacts
                    {
                        SamAccountName = "HYPERV-HOSTS",
                        DistinguishedName = $"CN=HYPERV-HOSTS,OU=Groups,{baseDn}",
                        Members = [.. plans.Where(p => p.Cluster is null).Select(p => computers[index[p.Name + "$"]].DistinguishedName).Order(StringComparer.Ordinal)],
                    },
                ],
            };
        }

        private static ComputerFacts WithUac(ComputerFacts c, int uac) => c with { UserAccountControl = uac, Flags = UacFlags.Decode(uac) };

        private static ComputerFacts Computer(string name, string fqdn, string dn, int uac, IReadOnlyList<string> delegateTo, string? os, string? osVersion, int rid, bool hyperV) => new()
        {
            SamAccountName = name + "$",
            DnsHostName = fqdn,
            DistinguishedName = dn,
            UserAccountControl = uac,
            Flags = UacFlags.Decode(uac),
            AllowedToDelegateTo = delegateTo,
            ServicePrincipalNames = hyperV
                ? [$"HOST/{name}", $"HOST/{fqdn}", $"{Migration}/{name}", $"{Migration}/{fqdn}"]
                : [$"HOST/{name}", $"HOST/{fqdn}"],
            OperatingSystem = os,
            OperatingSystemVersion = osVersion,
            HasResourceBasedDelegation = false,
            ResourceBasedDelegationSids = [],
            ObjectSid = "S-1-5-21-1004336348-1177238915-682003330-" + rid.ToString(CultureInfo.InvariantCulture),
        };
    }
}
