using System.Globalization;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Cim;

/// <summary>Live-migration service settings and migration networks (root/virtualization/v2).</summary>
public sealed class LiveMigrationCollector : IHostFactCollector
{
    public const string SettingsQuery = "SELECT * FROM Msvm_VirtualSystemMigrationServiceSettingData";
    public const string NetworksQuery = "SELECT SubnetNumber, PrefixLength, Metric, Tags FROM Msvm_VirtualSystemMigrationNetworkSettingData";
    public const string AllNetworksTag = "Microsoft:UserManagedAllNetworks";

    public string Name => FactFamilies.LiveMigration;

    public async Task<HostFacts> CollectAsync(HostCollectionContext context, HostFacts facts)
    {
        const string ns = CimNamespaces.Virtualization;
        var settings = await context.QueryOrUnsupportedAsync(ns, SettingsQuery, "Hyper-V role not installed or OS older than 2012").ConfigureAwait(false);
        var s = settings.FirstOrNull() ?? throw new FactCollectionException(CollectionState.Error, "Msvm_VirtualSystemMigrationServiceSettingData returned no instance");
        var networks = (await context.QueryAsync(ns, NetworksQuery).ConfigureAwait(false))
            .Select(n => new MigrationNetworkFacts
            {
                Subnet = n.GetString("SubnetNumber") ?? "",
                PrefixLength = n.GetInt("PrefixLength") ?? 0,
                Priority = n.GetInt("Metric"),
                Tags = [.. n.GetStrings("Tags")],
            })
            .OrderBy(n => n.Priority ?? int.MaxValue).ThenBy(n => n.Subnet, StringComparer.Ordinal).ThenBy(n => n.PrefixLength)
            .ToList();
        var auth = s.GetInt("AuthenticationType");
        if (auth is null || s.GetBool("EnableVirtualSystemMigration") is null)
        {
            throw new FactCollectionException(CollectionState.Error, "Msvm_VirtualSystemMigrationServiceSettingData lacks EnableVirtualSystemMigration or AuthenticationType");
        }
        string? performance = null;
        if (s.Has("EnableSmbTransport") || s.Has("EnableCompression"))
        {
            performance = s.GetBool("EnableSmbTransport") == true ? "SMB" : s.GetBool("EnableCompression") == true ? "Compression" : "TCPIP";
        }
        return facts with
        {
            LiveMigration = new LiveMigrationFacts
            {
                Enabled = s.GetBool("EnableVirtualSystemMigration") == true,
                AuthenticationType = auth.Value,
                Authentication = auth switch { 0 => "CredSSP", 1 => "Kerberos", _ => "Unknown" },
                MaximumSimultaneousMigrations = s.GetInt("MaximumActiveVirtualSystemMigration") ?? 0,
                MaximumSimultaneousStorageMigrations = s.GetInt("MaximumActiveStorageMigration") ?? 0,
                PerformanceOption = performance,
                UseAnyNetwork = networks.Count > 0 && networks.All(IsCatchAll),
                Networks = networks,
            },
        };
    }

    private static bool IsCatchAll(MigrationNetworkFacts n) =>
        n.Tags.Contains(AllNetworksTag, StringComparer.OrdinalIgnoreCase)
        || (n.PrefixLength == 0 && n.Subnet is "0.0.0.0" or "::");
}

/// <summary>The ScheduledDefrag task (MSFT_ScheduledTask) with triggers, maintenance settings and last/next run (PS_ScheduledTask.GetInfoByName).</summary>
public sealed class ScheduledTaskCollector : IHostFactCollector
{
    public const string TaskPath = @"\Microsoft\Windows\Defrag\";
    public const string TaskName = "ScheduledDefrag";
    public const string Query = @"SELECT * FROM MSFT_ScheduledTask WHERE TaskPath = '\\Microsoft\\Windows\\Defrag\\' AND TaskName = 'ScheduledDefrag'";

    public string Name => FactFamilies.ScheduledTasks;

    public async Task<HostFacts> CollectAsync(HostCollectionContext context, HostFacts facts)
    {
        const string ns = CimNamespaces.TaskScheduler;
        var tasks = await context.QueryOrUnsupportedAsync(ns, Query, "the ScheduledTasks CIM provider needs Windows Server 2012 or later").ConfigureAwait(false);
        var task = tasks.FirstOrNull();
        if (task is null)
        {
            context.Note($"task {TaskPath}{TaskName} does not exist");
            return facts with { ScheduledTasks = [] };
        }
        var maintenance = task.GetRecord("Settings")?.GetRecord("MaintenanceSettings");
        var state = task.GetInt("State");
        var result = new ScheduledTaskFacts
        {
            Path = task.GetString("TaskPath") ?? TaskPath,
            Name = task.GetString("TaskName") ?? TaskName,
            StateCode = state,
            State = state switch { 1 => "Disabled", 2 => "Queued", 3 => "Ready", 4 => "Running", _ => "Unknown" },
            Triggers = [.. task.GetRecords("Triggers").Select(Trigger)],
            MaintenancePeriod = Blank(maintenance?.GetString("Period")),
            MaintenanceDeadline = Blank(maintenance?.GetString("Deadline")),
        };
        var output = await context.Session.InvokeStaticAsync(ns, "PS_ScheduledTask", "GetInfoByName",
            new Dictionary<string, object?> { ["TaskName"] = result.Name, ["TaskPath"] = result.Path }, context.CancellationToken).ConfigureAwait(false);
        var info = output.ReturnValue is 0 ? output.OutParameters.GetRecord("cmdletOutput") : null;
        if (info is null)
        {
            throw new FactCollectionException(CollectionState.Error, $"PS_ScheduledTask.GetInfoByName returned {output.ReturnValue?.ToString(CultureInfo.InvariantCulture) ?? "nothing"} without task information");
        }
        result = result with
        {
            LastRunTime = RealTime(info.GetDateTime("LastRunTime")),
            NextRunTime = RealTime(info.GetDateTime("NextRunTime")),
            LastTaskResult = info.GetLong("LastTaskResult"),
            NumberOfMissedRuns = info.GetInt("NumberOfMissedRuns"),
        };
        return facts with { ScheduledTasks = [result] };
    }

    private static TaskTriggerFacts Trigger(CimRecord t) => new()
    {
        ClassName = t.ClassName,
        Kind = t.ClassName switch
        {
            "MSFT_TaskWeeklyTrigger" => "Weekly",
            "MSFT_TaskDailyTrigger" => "Daily",
            "MSFT_TaskTimeTrigger" => "Time",
            "MSFT_TaskBootTrigger" => "Boot",
            "MSFT_TaskLogonTrigger" => "Logon",
            "MSFT_TaskIdleTrigger" => "Idle",
            _ => "Other",
        },
        Enabled = t.GetBool("Enabled") ?? true,
        DaysOfWeek = t.GetInt("DaysOfWeek"),
        WeeksInterval = t.GetInt("WeeksInterval"),
        DaysInterval = t.GetInt("DaysInterval"),
        StartBoundary = Blank(t.GetString("StartBoundary")),
    };

    /// <summary>Task Scheduler reports "never" as 1999-11-30 (and a zero time as 0001-01-01): no time, not a real date.</summary>
    private static DateTimeOffset? RealTime(DateTimeOffset? t) => t is { Year: >= 2000 } ? t : null;

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>SMB server configuration, RDMA, and the temporary live-migration shares under $VSM$.</summary>
public sealed class SmbCollector : IHostFactCollector
{
    public const string ConfigQuery = "SELECT * FROM MSFT_SmbServerConfiguration";
    public const string ShareQuery = "SELECT Name, Path, Description, Temporary FROM MSFT_SmbShare";
    public const string RdmaQuery = "SELECT Enabled FROM MSFT_NetAdapterRdmaSettingData";
    public const string VsmFolder = "$VSM$";

    public string Name => FactFamilies.Smb;

    public async Task<HostFacts> CollectAsync(HostCollectionContext context, HostFacts facts)
    {
        const string ns = CimNamespaces.Smb;
        var config = await context.QueryOrUnsupportedAsync(ns, ConfigQuery, "the SMB CIM provider needs Windows Server 2012 or later").ConfigureAwait(false);
        var c = config.FirstOrNull() ?? throw new FactCollectionException(CollectionState.Error, "MSFT_SmbServerConfiguration returned no instance");
        var multichannel = c.GetBool("EnableMultiChannel");
        var smb1 = c.GetBool("EnableSMB1Protocol");
        if (multichannel is null || smb1 is null)
        {
            throw new FactCollectionException(CollectionState.Error, "MSFT_SmbServerConfiguration lacks EnableMultiChannel or EnableSMB1Protocol");
        }
        var shares = (await context.QueryAsync(ns, ShareQuery).ConfigureAwait(false))
            .Where(s => (s.GetString("Path") ?? "").Contains($"\\{VsmFolder}", StringComparison.OrdinalIgnoreCase))
            .Select(s => new SmbShareFacts
            {
                Name = s.GetString("Name") ?? "",
                Path = s.GetString("Path") ?? "",
                Description = string.IsNullOrWhiteSpace(s.GetString("Description")) ? null : s.GetString("Description"),
                Temporary = s.GetBool("Temporary"),
            })
            .OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
        bool? rdma = null;
        try
        {
            var adapters = await context.QueryAsync(CimNamespaces.StandardCimv2, RdmaQuery).ConfigureAwait(false);
            rdma = adapters.Any(a => a.GetBool("Enabled") == true);
        }
        catch (CimException e) when (!e.IsTransient)
        {
            context.Note($"RDMA state not read ({CimNamespaces.StandardCimv2} MSFT_NetAdapterRdmaSettingData: {e.Code})");
        }
        return facts with
        {
            Smb = new SmbFacts
            {
                EnableMultiChannel = multichannel.Value,
                EnableSmb1Protocol = smb1.Value,
                RequireSecuritySignature = c.GetBool("RequireSecuritySignature"),
                EncryptData = c.GetBool("EncryptData"),
                RdmaEnabled = rdma,
                Shares = shares,
            },
        };
    }
}
