namespace Audit.Core.Snapshots;

/// <summary>Everything collected about one Hyper-V host. Identity is always present; each fact family may be null when its collector failed.</summary>
public sealed record HostFacts
{
    /// <summary>NetBIOS-style short name, upper case as Windows reports it (e.g. ZULU).</summary>
    public string Name { get; init; } = "";
    public string? Fqdn { get; init; }
    public string? Domain { get; init; }

    /// <summary>Failover cluster name, null when not clustered.</summary>
    [CollectedBy(FactFamilies.Cluster)]
    public string? Cluster { get; init; }

    /// <summary>Migration group declared in the inventory for stand-alone hosts that migrate between each other.</summary>
    public string? MigrationGroup { get; init; }

    [CollectedBy(FactFamilies.Os)]
    public OsFacts? Os { get; init; }

    [CollectedBy(FactFamilies.Roles)]
    public RoleFacts? Roles { get; init; }

    /// <summary>GuestInstaller\Version registry values as collected: value name -> version string.</summary>
    [CollectedBy(FactFamilies.IntegrationServices)]
    public IReadOnlyDictionary<string, string>? IntegrationServices { get; init; }

    [CollectedBy(FactFamilies.Vms)]
    public IReadOnlyList<VmFacts>? Vms { get; init; }

    [CollectedBy(FactFamilies.Hotfixes)]
    public IReadOnlyList<HotfixFacts>? Hotfixes { get; init; }

    [CollectedBy(FactFamilies.LiveMigration)]
    public LiveMigrationFacts? LiveMigration { get; init; }

    [CollectedBy(FactFamilies.Storage)]
    public StorageFacts? Storage { get; init; }

    [CollectedBy(FactFamilies.ScheduledTasks)]
    public IReadOnlyList<ScheduledTaskFacts>? ScheduledTasks { get; init; }

    [CollectedBy(FactFamilies.Smb)]
    public SmbFacts? Smb { get; init; }

    /// <summary>One entry per collector run against this host.</summary>
    public IReadOnlyList<CollectionStatus> Collection { get; init; } = [];
}

/// <summary>Win32_OperatingSystem.</summary>
public sealed record OsFacts
{
    public string? Caption { get; init; }
    /// <summary>Version as reported, e.g. 6.2.9200.</summary>
    public string Version { get; init; } = "";
    public string? BuildNumber { get; init; }
    public int ServicePackMajor { get; init; }
    /// <summary>1 workstation, 2 domain controller, 3 server.</summary>
    public int ProductType { get; init; }
}

/// <summary>Installed server roles (Win32_ServerFeature IDs kept raw).</summary>
public sealed record RoleFacts
{
    public bool HyperV { get; init; }
    public bool FailoverClustering { get; init; }
    public bool DomainController { get; init; }
    public IReadOnlyList<int> FeatureIds { get; init; } = [];
}

public sealed record VmFacts
{
    public string Name { get; init; } = "";
    /// <summary>Msvm_ComputerSystem.Name (a GUID).</summary>
    public string Id { get; init; } = "";
    /// <summary>Running, Off, Saved, Paused, Starting, Other.</summary>
    public string State { get; init; } = "";
    /// <summary>Raw EnabledState.</summary>
    public int? StateCode { get; init; }
    public int? Generation { get; init; }
    /// <summary>Guest facts from KVP exchange; null when the VM is off or reports no KVP data.</summary>
    public GuestFacts? Guest { get; init; }
    public IReadOnlyList<DiskFacts> Disks { get; init; } = [];
    /// <summary>Integration services offered to the guest (Msvm_*ComponentSettingData), by Get-VMIntegrationService name; null when the snapshot's collector did not read them.</summary>
    public IReadOnlyList<IntegrationComponentFacts>? IntegrationComponents { get; init; }
}

/// <summary>One integration service of a VM as its settings offer it to the guest (Hyper-V Manager > Settings > Integration Services).</summary>
public sealed record IntegrationComponentFacts
{
    /// <summary>Time Synchronization, Heartbeat, Key-Value Pair Exchange, Shutdown, VSS, Guest Service Interface.</summary>
    public string Name { get; init; } = "";
    /// <summary>Offered to the guest (EnabledState 2).</summary>
    public bool Enabled { get; init; }
    /// <summary>Raw EnabledState (2 enabled, 3 disabled).</summary>
    public int? EnabledState { get; init; }
}

/// <summary>Guest intrinsic KVP items (Msvm_KvpExchangeComponent.GuestIntrinsicExchangeItems), trimmed.</summary>
public sealed record GuestFacts
{
    public string? OsName { get; init; }
    public string? OsVersion { get; init; }
    public int? OsMajorVersion { get; init; }
    public int? OsMinorVersion { get; init; }
    public string? OsBuildNumber { get; init; }
    public string? CsdVersion { get; init; }
    public int? ServicePackMajor { get; init; }
    public int? ProductType { get; init; }
    public string? Fqdn { get; init; }
    /// <summary>IntegrationServicesVersion as reported (may be "deprecated" or absent).</summary>
    public string? IntegrationServicesVersion { get; init; }
    /// <summary>All KVP items as collected, name -> data.</summary>
    public IReadOnlyDictionary<string, string>? Items { get; init; }
}

public sealed record DiskFacts
{
    public string Path { get; init; } = "";
    /// <summary>VHD, VHDX, VHDSet, Unknown.</summary>
    public string Format { get; init; } = "";
    public int? FormatCode { get; init; }
    /// <summary>Fixed, Dynamic, Differencing, Unknown.</summary>
    public string Type { get; init; } = "";
    public int? TypeCode { get; init; }
    /// <summary>IDE or SCSI.</summary>
    public string? Controller { get; init; }
    public string? ControllerSubType { get; init; }
}

/// <summary>Win32_QuickFixEngineering row.</summary>
public sealed record HotfixFacts
{
    public string Id { get; init; } = "";
    public string? Description { get; init; }
    /// <summary>InstalledOn as reported (locale date or hex FILETIME).</summary>
    public string? InstalledOnRaw { get; init; }
    public DateTimeOffset? InstalledOn { get; init; }
    public string? InstalledBy { get; init; }
}

public sealed record LiveMigrationFacts
{
    public bool Enabled { get; init; }
    /// <summary>Raw AuthenticationType: 0 CredSSP, 1 Kerberos.</summary>
    public int AuthenticationType { get; init; }
    /// <summary>CredSSP, Kerberos or Unknown.</summary>
    public string Authentication { get; init; } = "";
    public int MaximumSimultaneousMigrations { get; init; }
    public int MaximumSimultaneousStorageMigrations { get; init; }
    /// <summary>True when the only migration networks are the catch-all subnets (use any available network).</summary>
    public bool UseAnyNetwork { get; init; }
    /// <summary>Compression, SMB or TCPIP (2012 R2+), null on 2012.</summary>
    public string? PerformanceOption { get; init; }
    public IReadOnlyList<MigrationNetworkFacts> Networks { get; init; } = [];
}

public sealed record MigrationNetworkFacts
{
    public string Subnet { get; init; } = "";
    public int PrefixLength { get; init; }
    public int? Priority { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
}

public sealed record StorageFacts
{
    /// <summary>HKLM\SYSTEM\CurrentControlSet\Control\FileSystem\DisableDeleteNotification: 0 TRIM/UNMAP on, 1 off; null when the value is absent (default 0).</summary>
    public int? DisableDeleteNotification { get; init; }
}

public sealed record ScheduledTaskFacts
{
    public string Path { get; init; } = "";
    public string Name { get; init; } = "";
    /// <summary>Disabled, Queued, Ready, Running, Unknown.</summary>
    public string State { get; init; } = "";
    public int? StateCode { get; init; }
    public IReadOnlyList<TaskTriggerFacts> Triggers { get; init; } = [];
    /// <summary>Automatic Maintenance period (ISO 8601 duration such as P7D), null when not maintenance-driven.</summary>
    public string? MaintenancePeriod { get; init; }
    public string? MaintenanceDeadline { get; init; }
    public DateTimeOffset? LastRunTime { get; init; }
    public DateTimeOffset? NextRunTime { get; init; }
    /// <summary>LastTaskResult (HRESULT as unsigned number): 0 success, 267011 never run.</summary>
    public long? LastTaskResult { get; init; }
    public int? NumberOfMissedRuns { get; init; }
}

public sealed record TaskTriggerFacts
{
    /// <summary>CIM class name, e.g. MSFT_TaskWeeklyTrigger.</summary>
    public string ClassName { get; init; } = "";
    /// <summary>Weekly, Daily, Time, Boot, Logon, Idle, Other.</summary>
    public string Kind { get; init; } = "";
    public bool Enabled { get; init; } = true;
    /// <summary>Bitmask 1=Sunday .. 64=Saturday.</summary>
    public int? DaysOfWeek { get; init; }
    public int? WeeksInterval { get; init; }
    public int? DaysInterval { get; init; }
    public string? StartBoundary { get; init; }
}

public sealed record SmbFacts
{
    public bool EnableMultiChannel { get; init; }
    public bool EnableSmb1Protocol { get; init; }
    public bool? RequireSecuritySignature { get; init; }
    public bool? EncryptData { get; init; }
    public bool? RdmaEnabled { get; init; }
    public IReadOnlyList<SmbShareFacts> Shares { get; init; } = [];
}

public sealed record SmbShareFacts
{
    public string Name { get; init; } = "";
    public string Path { get; init; } = "";
    public string? Description { get; init; }
    public bool? Temporary { get; init; }
}
