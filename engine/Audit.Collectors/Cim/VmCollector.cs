using System.Globalization;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Cim;

/// <summary>
/// Virtual machines from root/virtualization/v2: state, generation, KVP guest facts (embedded CIM-XML items,
/// trimmed) and virtual hard disks (path from Msvm_StorageAllocationSettingData, controller by following Parent
/// from disk to drive to controller, format and type from Msvm_ImageManagementService.GetVirtualHardDiskSettingData).
/// A fixed number of queries per host (not per VM), joined in memory by the VM's GUID.
/// </summary>
public sealed class VmCollector : IHostFactCollector
{
    /// <summary>
    /// All computer systems; the host's own entry (Name = the host name) is dropped in code: a VM's Name is its GUID.
    /// Filtering on Caption = 'Virtual Machine' would miss every VM on a host whose Windows is not in English (Caption is localised).
    /// </summary>
    public const string VmQuery = "SELECT Name, ElementName, EnabledState FROM Msvm_ComputerSystem";
    public const string SettingsQuery = "SELECT InstanceID, VirtualSystemIdentifier, VirtualSystemSubType FROM Msvm_VirtualSystemSettingData WHERE VirtualSystemType = 'Microsoft:Hyper-V:System:Realized'";
    /// <summary>The same without VirtualSystemSubType, which arrived with generation 2 VMs in 2012 R2: 2012 rejects a select list naming it.</summary>
    public const string SettingsQueryWithoutSubType = "SELECT InstanceID, VirtualSystemIdentifier FROM Msvm_VirtualSystemSettingData WHERE VirtualSystemType = 'Microsoft:Hyper-V:System:Realized'";
    public const string KvpQuery = "SELECT SystemName, GuestIntrinsicExchangeItems FROM Msvm_KvpExchangeComponent";
    public const string DiskQuery = "SELECT InstanceID, Parent, HostResource, ResourceSubType FROM Msvm_StorageAllocationSettingData WHERE ResourceSubType = 'Microsoft:Hyper-V:Virtual Hard Disk'";
    public const string DeviceQuery = "SELECT InstanceID, Parent, ResourceSubType FROM Msvm_ResourceAllocationSettingData";
    public const string ImageServiceQuery = "SELECT * FROM Msvm_ImageManagementService";
    /// <summary>The integration services of a VM's settings, by class, with the name Get-VMIntegrationService gives each. Guest Service Interface exists from 2012 R2 on.</summary>
    public static readonly IReadOnlyList<(string Class, string Name)> IntegrationComponentClasses =
    [
        ("Msvm_HeartbeatComponentSettingData", "Heartbeat"),
        ("Msvm_KvpExchangeComponentSettingData", "Key-Value Pair Exchange"),
        ("Msvm_ShutdownComponentSettingData", "Shutdown"),
        ("Msvm_TimeSyncComponentSettingData", "Time Synchronization"),
        ("Msvm_VssComponentSettingData", "VSS"),
        ("Msvm_GuestServiceInterfaceComponentSettingData", "Guest Service Interface"),
    ];

    public static string IntegrationComponentQuery(string cimClass) => $"SELECT InstanceID, EnabledState FROM {cimClass}";

    public const string IdeController = "Microsoft:Hyper-V:Emulated IDE Controller";
    public const string ScsiController = "Microsoft:Hyper-V:Synthetic SCSI Controller";

    public string Name => FactFamilies.Vms;

    public async Task<HostFacts> CollectAsync(HostCollectionContext context, HostFacts facts)
    {
        const string ns = CimNamespaces.Virtualization;
        var vms = await context.QueryOrUnsupportedAsync(ns, VmQuery, "Hyper-V role not installed, or Windows Server 2008 R2 (only root/virtualization v1)").ConfigureAwait(false);
        var settings = await SettingsAsync(context).ConfigureAwait(false);
        var kvp = await context.QueryAsync(ns, KvpQuery).ConfigureAwait(false);
        var disks = await context.QueryAsync(ns, DiskQuery).ConfigureAwait(false);
        var devices = vms.Count == 0 || disks.Count == 0 ? [] : await context.QueryAsync(ns, DeviceQuery).ConfigureAwait(false);
        var components = vms.Count == 0 ? [] : await IntegrationComponentsAsync(context).ConfigureAwait(false);

        var subTypeById = settings
            .Where(s => s.GetString("VirtualSystemIdentifier") is not null)
            .GroupBy(s => s.GetString("VirtualSystemIdentifier")!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var kvpById = kvp
            .Where(k => k.GetString("SystemName") is not null)
            .GroupBy(k => k.GetString("SystemName")!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var deviceById = devices
            .Where(d => d.GetString("InstanceID") is not null)
            .GroupBy(d => d.GetString("InstanceID")!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);

        var diskFacts = new Dictionary<string, List<DiskFacts>>(StringComparer.OrdinalIgnoreCase);
        CimRecord? imageService = null;
        var unreadable = 0;
        foreach (var disk in disks)
        {
            var vmId = VmIdOf(disk.GetString("InstanceID"));
            var path = disk.GetStrings("HostResource").FirstOrNull();
            if (vmId is null || string.IsNullOrEmpty(path))
            {
                continue;
            }
            imageService ??= (await context.QueryAsync(ns, ImageServiceQuery).ConfigureAwait(false)).FirstOrNull()
                ?? throw new FactCollectionException(CollectionState.Error, "Msvm_ImageManagementService returned no instance");
            var (format, type, problem) = await ReadVhdAsync(context, imageService, path).ConfigureAwait(false);
            if (problem is not null)
            {
                unreadable++;
                context.Note(problem);
            }
            var controller = ControllerOf(disk, deviceById);
            if (!diskFacts.TryGetValue(vmId, out var list))
            {
                diskFacts[vmId] = list = [];
            }
            list.Add(new DiskFacts
            {
                Path = path,
                FormatCode = format,
                Format = format switch { 2 => "VHD", 3 => "VHDX", 4 => "VHDSet", _ => "Unknown" },
                TypeCode = type,
                Type = type switch { 2 => "Fixed", 3 => "Dynamic", 4 => "Differencing", _ => "Unknown" },
                ControllerSubType = controller,
                Controller = controller switch { IdeController => "IDE", ScsiController => "SCSI", _ => null },
            });
        }

        var result = new List<VmFacts>();
        foreach (var vm in vms.Where(v => Guid.TryParse(v.GetString("Name"), out _)))
        {
            var id = vm.GetString("Name") ?? "";
            var state = vm.GetInt("EnabledState");
            subTypeById.TryGetValue(id, out var setting);
            kvpById.TryGetValue(id, out var exchange);
            result.Add(new VmFacts
            {
                Name = vm.GetString("ElementName") ?? id,
                Id = id.ToUpperInvariant(),
                StateCode = state,
                State = StateName(state),
                Generation = GenerationOf(setting?.GetString("VirtualSystemSubType")),
                Guest = exchange is null ? null : GuestFacts(exchange.GetStrings("GuestIntrinsicExchangeItems")),
                Disks = diskFacts.TryGetValue(id, out var d) ? [.. d.OrderBy(x => x.Path, StringComparer.OrdinalIgnoreCase)] : [],
                IntegrationComponents = components.TryGetValue(id, out var c) ? [.. c.OrderBy(x => x.Name, StringComparer.Ordinal)] : [],
            });
        }
        if (unreadable > 0)
        {
            context.Note($"{unreadable.ToString(CultureInfo.InvariantCulture)} virtual disk(s) recorded with format/type Unknown");
        }
        return facts with { Vms = [.. result.OrderBy(v => v.Name, StringComparer.OrdinalIgnoreCase).ThenBy(v => v.Id, StringComparer.Ordinal)] };
    }

    /// <summary>
    /// The VMs' settings with their generation; on a host whose WMI refuses the select list because it does not know
    /// VirtualSystemSubType (2012: Invalid query), the same without it: the generation is then left unknown, the VMs are not lost.
    /// </summary>
    private static async Task<IReadOnlyList<CimRecord>> SettingsAsync(HostCollectionContext context)
    {
        try
        {
            return await context.QueryAsync(CimNamespaces.Virtualization, SettingsQuery).ConfigureAwait(false);
        }
        catch (CimException e) when (e.Code is CimErrorCode.InvalidQuery or CimErrorCode.NoSuchProperty or CimErrorCode.InvalidParameter)
        {
            context.Note($"VM generation not read: this host's Msvm_VirtualSystemSettingData refused VirtualSystemSubType ({e.Code}; it arrived with 2012 R2)");
            return await context.QueryAsync(CimNamespaces.Virtualization, SettingsQueryWithoutSubType).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Integration services offered to each VM, by VM GUID (the first part of the settings' InstanceID; checkpoint settings
    /// carry another GUID and are left out). A class the host does not have (Guest Service Interface before 2012 R2) is skipped.
    /// </summary>
    private static async Task<Dictionary<string, List<IntegrationComponentFacts>>> IntegrationComponentsAsync(HostCollectionContext context)
    {
        var byVm = new Dictionary<string, List<IntegrationComponentFacts>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (cimClass, name) in IntegrationComponentClasses)
        {
            IReadOnlyList<CimRecord> settings;
            try
            {
                settings = await context.QueryAsync(CimNamespaces.Virtualization, IntegrationComponentQuery(cimClass)).ConfigureAwait(false);
            }
            catch (CimException e) when (e.Code == CimErrorCode.InvalidClass)
            {
                continue;
            }
            foreach (var setting in settings)
            {
                if (VmIdOf(setting.GetString("InstanceID")) is not { } vmId)
                {
                    continue;
                }
                if (!byVm.TryGetValue(vmId, out var list))
                {
                    byVm[vmId] = list = [];
                }
                var state = setting.GetInt("EnabledState");
                if (!list.Exists(x => x.Name == name))
                {
                    list.Add(new IntegrationComponentFacts { Name = name, EnabledState = state, Enabled = state == 2 });
                }
            }
        }
        return byVm;
    }

    private static async Task<(int? Format, int? Type, string? Problem)> ReadVhdAsync(HostCollectionContext context, CimRecord service, string path)
    {
        try
        {
            var output = await context.Session.InvokeAsync(CimNamespaces.Virtualization, service, "GetVirtualHardDiskSettingData",
                new Dictionary<string, object?> { ["Path"] = path }, context.CancellationToken).ConfigureAwait(false);
            if (output.ReturnValue is not 0)
            {
                return (null, null, $"GetVirtualHardDiskSettingData('{path}') returned {output.ReturnValue?.ToString(CultureInfo.InvariantCulture) ?? "nothing"}");
            }
            var data = CimXmlInstanceParser.TryParse(output.OutParameters.GetString("SettingData"));
            if (data is null)
            {
                return (null, null, $"GetVirtualHardDiskSettingData('{path}') returned no readable SettingData");
            }
            return (data.GetInt("Format"), data.GetInt("Type"), null);
        }
        catch (CimException e) when (!e.IsTransient)
        {
            return (null, null, $"GetVirtualHardDiskSettingData('{path}') failed: {e.Code}");
        }
    }

    /// <summary>The VM GUID in an InstanceID such as Microsoft:8E3A3A9B-...\83F8638B-...\0\0\L (before the first backslash).</summary>
    internal static string? VmIdOf(string? instanceId)
    {
        if (instanceId is null || !instanceId.StartsWith("Microsoft:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var rest = instanceId["Microsoft:".Length..];
        var slash = rest.IndexOf('\\', StringComparison.Ordinal);
        return slash > 0 ? rest[..slash] : null;
    }

    /// <summary>The InstanceID key of a WMI object path (\\HOST\root\virtualization\v2:Msvm_ResourceAllocationSettingData.InstanceID="Microsoft:...\\0\\0\\D").</summary>
    internal static string? InstanceIdOfPath(string? path)
    {
        if (path is null)
        {
            return null;
        }
        const string marker = "InstanceID=\"";
        var start = path.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        if (start < 0)
        {
            return null;
        }
        var sb = new System.Text.StringBuilder();
        for (var i = start + marker.Length; i < path.Length; i++)
        {
            var ch = path[i];
            if (ch == '\\' && i + 1 < path.Length && path[i + 1] is '\\' or '"')
            {
                sb.Append(path[++i]);
            }
            else if (ch == '"')
            {
                return sb.ToString();
            }
            else
            {
                sb.Append(ch);
            }
        }
        return null;
    }

    private static string? ControllerOf(CimRecord disk, Dictionary<string, CimRecord> devices)
    {
        // disk -> drive -> controller; follow at most a few Parent links.
        var current = InstanceIdOfPath(disk.GetString("Parent"));
        for (var hop = 0; hop < 4 && current is not null; hop++)
        {
            if (!devices.TryGetValue(current, out var device))
            {
                return null;
            }
            var subType = device.GetString("ResourceSubType");
            if (subType is IdeController or ScsiController)
            {
                return subType;
            }
            current = InstanceIdOfPath(device.GetString("Parent"));
        }
        return null;
    }

    /// <summary>EnabledState of Msvm_ComputerSystem (v2).</summary>
    public static string StateName(int? code) => code switch
    {
        2 => "Running",
        3 => "Off",
        6 or 32769 => "Saved",
        9 or 32768 => "Paused",
        10 or 32770 => "Starting",
        _ => "Other",
    };

    /// <summary>Microsoft:Hyper-V:SubType:1 / :2 (2012 R2+); null when the host does not report it (2012 has generation 1 only, but we do not guess).</summary>
    internal static int? GenerationOf(string? subType) => subType switch
    {
        "Microsoft:Hyper-V:SubType:1" => 1,
        "Microsoft:Hyper-V:SubType:2" => 2,
        _ => null,
    };

    /// <summary>KVP guest intrinsic items: each a CIM-XML Msvm_KvpExchangeDataItem with Name and Data; values trimmed (stray newlines).</summary>
    internal static GuestFacts? GuestFacts(IReadOnlyList<string> items)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var xml in items)
        {
            var item = CimXmlInstanceParser.TryParse(xml);
            var name = item?.GetString("Name")?.Trim();
            if (item is null || string.IsNullOrEmpty(name))
            {
                continue;
            }
            map[name] = (item.GetString("Data") ?? "").Trim();
        }
        if (map.Count == 0)
        {
            return null;
        }
        string? S(string key) => map.TryGetValue(key, out var v) && v.Length > 0 ? v : null;
        int? I(string key) => int.TryParse(S(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
        return new GuestFacts
        {
            OsName = S("OSName"),
            OsVersion = S("OSVersion"),
            OsMajorVersion = I("OSMajorVersion"),
            OsMinorVersion = I("OSMinorVersion"),
            OsBuildNumber = S("OSBuildNumber"),
            CsdVersion = S("CSDVersion"),
            ServicePackMajor = I("ServicePackMajor"),
            ProductType = I("ProductType"),
            Fqdn = S("FullyQualifiedDomainName"),
            IntegrationServicesVersion = S("IntegrationServicesVersion"),
            Items = map,
        };
    }
}
