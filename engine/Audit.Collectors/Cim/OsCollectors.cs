using System.Globalization;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Cim;

/// <summary>Win32_OperatingSystem (version, build, service pack, product type) and the DNS identity from Win32_ComputerSystem.</summary>
public sealed class OsCollector : IHostFactCollector
{
    public const string OsQuery = "SELECT Caption, Version, BuildNumber, ServicePackMajorVersion, ProductType FROM Win32_OperatingSystem";
    public const string ComputerQuery = "SELECT Name, DNSHostName, Domain, PartOfDomain FROM Win32_ComputerSystem";

    public string Name => FactFamilies.Os;

    public async Task<HostFacts> CollectAsync(HostCollectionContext context, HostFacts facts)
    {
        var os = (await context.QueryAsync(CimNamespaces.Cimv2, OsQuery).ConfigureAwait(false)).FirstOrNull()
            ?? throw new FactCollectionException(CollectionState.Error, "Win32_OperatingSystem returned no instance");
        var version = os.GetString("Version")?.Trim();
        if (string.IsNullOrEmpty(version) || !Version.TryParse(version, out _))
        {
            throw new FactCollectionException(CollectionState.Error, $"Win32_OperatingSystem.Version '{version}' is not a version number");
        }
        var productType = os.GetInt("ProductType") ?? 0;
        if (productType is < 1 or > 3)
        {
            throw new FactCollectionException(CollectionState.Error, $"Win32_OperatingSystem.ProductType '{os.GetString("ProductType")}' is not 1, 2 or 3");
        }
        facts = facts with
        {
            Os = new OsFacts
            {
                Caption = os.GetString("Caption")?.Trim(),
                Version = version,
                BuildNumber = os.GetString("BuildNumber")?.Trim(),
                ServicePackMajor = os.GetInt("ServicePackMajorVersion") ?? 0,
                ProductType = productType,
            },
        };

        // Identity is best effort: the OS facts stand without it.
        try
        {
            var cs = (await context.QueryAsync(CimNamespaces.Cimv2, ComputerQuery).ConfigureAwait(false)).FirstOrNull();
            if (cs is not null)
            {
                var dns = cs.GetString("DNSHostName")?.Trim();
                var domain = cs.GetBool("PartOfDomain") == false ? null : cs.GetString("Domain")?.Trim().ToLowerInvariant();
                facts = facts with
                {
                    Domain = string.IsNullOrEmpty(domain) ? facts.Domain : domain,
                    Fqdn = !string.IsNullOrEmpty(dns) && !string.IsNullOrEmpty(domain) ? $"{dns.ToLowerInvariant()}.{domain}" : facts.Fqdn,
                };
            }
        }
        catch (CimException e)
        {
            context.Note($"Win32_ComputerSystem not read ({e.Code}): FQDN and domain from the inventory");
        }
        return facts;
    }
}

/// <summary>Server roles from Win32_ServerFeature (IDs 20 Hyper-V, 33 Failover Clustering, 110 AD DS).</summary>
public sealed class RolesCollector : IHostFactCollector
{
    public const string Query = "SELECT ID FROM Win32_ServerFeature";
    public const int HyperVId = 20;
    public const int FailoverClusteringId = 33;
    public const int DomainControllerId = 110;

    public string Name => FactFamilies.Roles;

    public async Task<HostFacts> CollectAsync(HostCollectionContext context, HostFacts facts)
    {
        IReadOnlyList<CimRecord> rows;
        try
        {
            rows = await context.QueryAsync(CimNamespaces.Cimv2, Query).ConfigureAwait(false);
        }
        catch (CimException e) when (e.Code == CimErrorCode.InvalidClass)
        {
            throw new FactCollectionException(CollectionState.Unsupported, "Win32_ServerFeature is absent (not a Windows Server edition)", (int)e.Code);
        }
        var ids = rows.Select(r => r.GetInt("ID")).OfType<int>().Distinct().Order().ToList();
        return facts with
        {
            Roles = new RoleFacts
            {
                HyperV = ids.Contains(HyperVId),
                FailoverClustering = ids.Contains(FailoverClusteringId),
                DomainController = ids.Contains(DomainControllerId),
                FeatureIds = ids,
            },
        };
    }
}

/// <summary>Failover cluster membership from root/MSCluster. An absent namespace means "not clustered", which is a fact, not a failure.</summary>
public sealed class ClusterCollector : IHostFactCollector
{
    public const string Query = "SELECT Name FROM MSCluster_Cluster";
    /// <summary>The cluster service: present and stopped on a host with the Failover Clustering feature that is in no cluster.</summary>
    public const string ServiceQuery = "SELECT Name, State, StartMode FROM Win32_Service WHERE Name = 'ClusSvc'";

    public string Name => FactFamilies.Cluster;

    public async Task<HostFacts> CollectAsync(HostCollectionContext context, HostFacts facts)
    {
        var declared = facts.Cluster;
        string? name;
        try
        {
            name = (await context.QueryAsync(CimNamespaces.Cluster, Query).ConfigureAwait(false)).FirstOrNull()?.GetString("Name")?.Trim();
        }
        catch (CimException e) when (e.Code is CimErrorCode.InvalidNamespace or CimErrorCode.InvalidClass)
        {
            context.Note($"not clustered ({CimNamespaces.Cluster} is absent: {e.Code})");
            name = null;
        }
        catch (CimException e) when (!e.IsTransient && e.Code is not (CimErrorCode.AccessDenied or CimErrorCode.AuthenticationFailed))
        {
            // The feature is installed (the namespace exists) but the provider fails: on a host in no cluster the cluster
            // service is stopped. Only then is this "not clustered"; a running service whose WMI fails is an error.
            name = await NotClusteredOrThrowAsync(context, e).ConfigureAwait(false);
        }
        if (declared is not null && !string.Equals(declared, name, StringComparison.OrdinalIgnoreCase))
        {
            context.Note($"the inventory declares cluster '{declared}' but the host reports {(name is null ? "none" : $"'{name}'")}; the host's answer is kept");
        }
        return facts with { Cluster = string.IsNullOrEmpty(name) ? null : name.ToUpperInvariant() };
    }

    private static async Task<string?> NotClusteredOrThrowAsync(HostCollectionContext context, CimException clusterError)
    {
        IReadOnlyList<CimRecord> service;
        try
        {
            service = await context.QueryAsync(CimNamespaces.Cimv2, ServiceQuery).ConfigureAwait(false);
        }
        catch (CimException)
        {
            throw clusterError;
        }
        var state = service.FirstOrNull()?.GetString("State");
        if (string.Equals(state, "Running", StringComparison.OrdinalIgnoreCase))
        {
            throw clusterError;
        }
        context.Note($"not clustered ({CimNamespaces.Cluster} answered {clusterError.Code}; the cluster service is {(state is null ? "absent" : state)})");
        return null;
    }
}

/// <summary>Win32_QuickFixEngineering: both InstalledOn forms parsed, one row per KB.</summary>
public sealed class HotfixCollector : IHostFactCollector
{
    public const string Query = "SELECT HotFixID, Description, InstalledOn, InstalledBy FROM Win32_QuickFixEngineering";

    private static readonly string[] DateFormats = ["M/d/yyyy", "MM/dd/yyyy", "yyyy-MM-dd", "d.M.yyyy", "dd.MM.yyyy", "yyyyMMdd"];

    public string Name => FactFamilies.Hotfixes;

    public async Task<HostFacts> CollectAsync(HostCollectionContext context, HostFacts facts)
    {
        var rows = await context.QueryAsync(CimNamespaces.Cimv2, Query).ConfigureAwait(false);
        var byId = new Dictionary<string, HotfixFacts>(StringComparer.OrdinalIgnoreCase);
        var duplicates = 0;
        var unparsed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var id = row.GetString("HotFixID")?.Trim();
            if (string.IsNullOrEmpty(id))
            {
                continue;
            }
            var raw = row.GetString("InstalledOn")?.Trim();
            var installedOn = ParseInstalledOn(raw);
            if (installedOn is null && !string.IsNullOrEmpty(raw))
            {
                unparsed.Add(raw);
            }
            var fix = new HotfixFacts
            {
                Id = id.ToUpperInvariant(),
                Description = Blank(row.GetString("Description")),
                InstalledOnRaw = Blank(raw),
                InstalledOn = installedOn,
                InstalledBy = Blank(row.GetString("InstalledBy")),
            };
            if (byId.TryGetValue(fix.Id, out var existing))
            {
                duplicates++;
                // Keep the row that carries a date; of two dated rows the earliest installation.
                if (existing.InstalledOn is null || (fix.InstalledOn is not null && fix.InstalledOn < existing.InstalledOn))
                {
                    byId[fix.Id] = fix;
                }
                continue;
            }
            byId[fix.Id] = fix;
        }
        if (duplicates > 0)
        {
            context.Note($"{duplicates} duplicate row(s) merged");
        }
        if (unparsed.Count > 0)
        {
            context.Note($"InstalledOn not understood (kept raw): {string.Join(", ", unparsed)}");
        }
        return facts with { Hotfixes = [.. byId.Values.OrderBy(h => h.Id, StringComparer.Ordinal)] };
    }

    /// <summary>
    /// InstalledOn is either a date in the host's short format (11/27/2012 on en-US) or a 16-digit hex FILETIME
    /// (01cdcc80b7e07fc0), seen on some hosts for some packages. Month-first is assumed for slash dates (as WMI
    /// reports on en-US hosts); null when the text cannot be read.
    /// </summary>
    public static DateTimeOffset? ParseInstalledOn(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }
        raw = raw.Trim();
        if (raw.Length == 16 && long.TryParse(raw, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var fileTime))
        {
            try
            {
                return DateTimeOffset.FromFileTime(fileTime).ToUniversalTime();
            }
            catch (ArgumentOutOfRangeException)
            {
                return null;
            }
        }
        return DateTime.TryParseExact(raw, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? new DateTimeOffset(d.Date, TimeSpan.Zero)
            : null;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>The GuestInstaller\Version values (IS package version per guest family), enumerated, never by fixed names.</summary>
public sealed class IntegrationServicesCollector : IHostFactCollector
{
    public const string Key = @"SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\GuestInstaller\Version";

    public string Name => FactFamilies.IntegrationServices;

    public async Task<HostFacts> CollectAsync(HostCollectionContext context, HostFacts facts)
    {
        var values = await StdRegistry.EnumValuesAsync(context, Key).ConfigureAwait(false)
            ?? throw new FactCollectionException(CollectionState.Unsupported, $"HKLM\\{Key} does not exist (Hyper-V role not installed)");
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, type) in values)
        {
            if (type != StdRegistry.RegSz)
            {
                context.Note($"value '{name}' has registry type {type.ToString(CultureInfo.InvariantCulture)}, not REG_SZ: skipped");
                continue;
            }
            var value = await StdRegistry.GetStringValueAsync(context, Key, name).ConfigureAwait(false);
            if (value is not null)
            {
                result[name] = value.Trim();
            }
        }
        return facts with { IntegrationServices = result };
    }
}

/// <summary>HKLM\SYSTEM\CurrentControlSet\Control\FileSystem\DisableDeleteNotification (TRIM/UNMAP).</summary>
public sealed class StorageCollector : IHostFactCollector
{
    public const string Key = @"SYSTEM\CurrentControlSet\Control\FileSystem";
    public const string Value = "DisableDeleteNotification";

    public string Name => FactFamilies.Storage;

    public async Task<HostFacts> CollectAsync(HostCollectionContext context, HostFacts facts)
    {
        var value = await StdRegistry.GetDwordValueAsync(context, Key, Value).ConfigureAwait(false);
        if (value is null)
        {
            context.Note($"{Value} is absent (Windows default 0: delete notifications on)");
        }
        return facts with { Storage = new StorageFacts { DisableDeleteNotification = value is null ? null : (int)value.Value } };
    }
}
