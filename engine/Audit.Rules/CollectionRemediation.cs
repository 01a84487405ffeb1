using Audit.Core;

namespace Audit.Rules;

/// <summary>
/// How to fix a verdict that is an error because a fact family could not be collected: the rule's own remediation (install
/// a KB, change a setting) does not apply until the facts can be read. One sentence per collector, with the class or
/// namespace it reads and the usual causes (rights, WinRM, namespace).
/// </summary>
public static class CollectionRemediation
{
    private static readonly Dictionary<string, string> Sources = new(StringComparer.Ordinal)
    {
        [Collectors.Os] = @"root\cimv2 Win32_OperatingSystem",
        [Collectors.Roles] = @"root\cimv2 Win32_ServerFeature",
        [Collectors.Cluster] = @"root\MSCluster (MSCluster_Cluster, MSCluster_Node; needs packet privacy over DCOM)",
        [Collectors.IntegrationServices] = @"the registry through root\default StdRegProv (HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\GuestInstaller\Version)",
        [Collectors.Vms] = @"root\virtualization\v2 (Msvm_ComputerSystem, Msvm_KvpExchangeComponent, Msvm_VirtualHardDiskSettingData)",
        [Collectors.Hotfixes] = @"root\cimv2 Win32_QuickFixEngineering",
        [Collectors.LiveMigration] = @"root\virtualization\v2 Msvm_VirtualSystemMigrationServiceSettingData",
        [Collectors.Storage] = @"the registry through root\default StdRegProv (HKLM\SYSTEM\CurrentControlSet\Control\FileSystem)",
        [Collectors.ScheduledTasks] = @"root\Microsoft\Windows\TaskScheduler MSFT_ScheduledTask",
        [Collectors.Smb] = @"root\Microsoft\Windows\SMB MSFT_SmbServerConfiguration",
    };

    /// <summary>The fix for <paramref name="collector"/> on <paramref name="owner"/> given its collection record (null: none).</summary>
    public static string For(string collector, string owner, CollectionStatus? status)
    {
        if (collector == Collectors.Directory)
        {
            return status is null
                ? "Collect the directory facts and merge them into the snapshot: audit collect --directory ldaps://DC --directory-base DN --out directory.json, then audit snapshot merge."
                : "Check the directory collection: the --directory URL and port (LDAPS 636), the CA given with --directory-ca, and that the bind account can read computer objects (msDS-AllowedToDelegateTo, userAccountControl, servicePrincipalName); then collect again.";
        }
        var source = Sources.GetValueOrDefault(collector, $"the '{collector}' facts");
        if (status is null)
        {
            return $"Collect {owner} again with a current collector (audit collect --hosts {owner}): the snapshot has no record for {source}.";
        }
        var text = status.Message ?? "";
        if (status.ErrorCode == 2 || text.Contains("access denied", StringComparison.OrdinalIgnoreCase))
        {
            return $"Give the collecting account the right to read {source} on {owner}: membership of its local Administrators group, or 'Enable Account' and 'Remote Enable' on that WMI namespace (wmimgmt.msc > WMI Control > Security) with membership of 'Remote Management Users'; then collect again.";
        }
        return $"Make {source} readable on {owner}, then collect again: check WinRM (Test-WSMan {owner}; winrm quickconfig on the host), the firewall (TCP 5985/5986), and the class itself (Get-CimInstance -ComputerName {owner} -Namespace <namespace> -ClassName <class>).";
    }
}
