using Audit.Core.Snapshots;

namespace Audit.Rules;

/// <summary>
/// How to fix a verdict that is an error because a fact family could not be collected: the rule's own remediation (install
/// a KB, change a setting) does not apply until the facts can be read. One sentence per collector, with the class or
/// namespace it reads and the usual causes (rights, WinRM, namespace).
/// </summary>
public static class CollectionRemediation
{
    /// <summary>What each collector reads: a description, and the namespace and class to try by hand.</summary>
    private static readonly Dictionary<string, (string What, string Namespace, string Class)> Sources = new(StringComparer.Ordinal)
    {
        [FactFamilies.Os] = (@"root\cimv2 Win32_OperatingSystem", @"root\cimv2", "Win32_OperatingSystem"),
        [FactFamilies.Roles] = (@"root\cimv2 Win32_ServerFeature", @"root\cimv2", "Win32_ServerFeature"),
        [FactFamilies.Cluster] = (@"root\MSCluster (MSCluster_Cluster, MSCluster_Node; needs packet privacy over DCOM)", @"root\MSCluster", "MSCluster_Node"),
        [FactFamilies.IntegrationServices] = (@"the registry through root\default StdRegProv (HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\GuestInstaller\Version)", @"root\default", "StdRegProv"),
        [FactFamilies.Vms] = (@"root\virtualization\v2 (Msvm_ComputerSystem, Msvm_KvpExchangeComponent, Msvm_VirtualHardDiskSettingData)", @"root\virtualization\v2", "Msvm_ComputerSystem"),
        [FactFamilies.Hotfixes] = (@"root\cimv2 Win32_QuickFixEngineering", @"root\cimv2", "Win32_QuickFixEngineering"),
        [FactFamilies.LiveMigration] = (@"root\virtualization\v2 Msvm_VirtualSystemMigrationServiceSettingData", @"root\virtualization\v2", "Msvm_VirtualSystemMigrationServiceSettingData"),
        [FactFamilies.Storage] = (@"the registry through root\default StdRegProv (HKLM\SYSTEM\CurrentControlSet\Control\FileSystem)", @"root\default", "StdRegProv"),
        [FactFamilies.ScheduledTasks] = (@"root\Microsoft\Windows\TaskScheduler MSFT_ScheduledTask", @"root\Microsoft\Windows\TaskScheduler", "MSFT_ScheduledTask"),
        [FactFamilies.Smb] = (@"root\Microsoft\Windows\SMB MSFT_SmbServerConfiguration", @"root\Microsoft\Windows\SMB", "MSFT_SmbServerConfiguration"),
    };

    /// <summary>Codes the CIM collectors record (CimErrorCode): access denied, and ours for timeout and unreachable.</summary>
    private const int AccessDenied = 2;
    private const int Timeout = 1001;
    private const int Unreachable = 1002;

    /// <summary>The fix for <paramref name="collector"/> on <paramref name="owner"/> given its collection record (null: none).</summary>
    public static string For(string collector, string owner, CollectionStatus? status)
    {
        if (collector == FactFamilies.Directory)
        {
            return status is null
                ? "Collect the directory facts and merge them into the snapshot: audit collect --directory ldaps://DC --directory-base DN --out directory.json, then audit snapshot merge."
                : "Check the directory collection: the --directory URL and port (LDAPS 636), the CA given with --directory-ca, and that the bind account can read computer objects (msDS-AllowedToDelegateTo, userAccountControl, servicePrincipalName); then collect again.";
        }
        var (what, ns, cls) = Sources.GetValueOrDefault(collector, ($"the '{collector}' facts", "root\\cimv2", "Win32_OperatingSystem"));
        if (status is null)
        {
            return $"Collect {owner} again with a current collector (audit collect --hosts {owner}): the snapshot has no record for {what}.";
        }
        return status.ErrorCode switch
        {
            AccessDenied => $"Give the collecting account the right to read {what} on {owner}: membership of its local Administrators group, or 'Enable Account' and 'Remote Enable' on the {ns} namespace (wmimgmt.msc > WMI Control > Security) with membership of 'Remote Management Users'; then collect again.",
            Timeout => $"Reading {what} on {owner} took longer than the per-operation time limit: collect again with a longer one (audit collect --operation-timeout SECONDS, default 60), and if it stays slow check the class by hand on the host: Measure-Command {{ Get-CimInstance -Namespace {ns} -ClassName {cls} }}.",
            Unreachable => $"{owner} could not be reached: check name resolution, WinRM (Test-WSMan {owner}; winrm quickconfig on the host) and the firewall (TCP 5985/5986), then collect again.",
            _ => $"Make {what} readable on {owner}, then collect again: try it by hand (Get-CimInstance -ComputerName {owner} -Namespace {ns} -ClassName {cls}) and fix what it reports.",
        };
    }
}
