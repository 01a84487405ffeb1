using System.Globalization;
using System.Text;

namespace Audit.Collectors.Tests.Directory;

/// <summary>
/// What the test DC holds: written by <see cref="PopulateAsync"/> with samba-tool and ldbmodify before the DC starts,
/// and what the tests expect to read back. Hyper-V hosts HV1..HV4 form delegation pairs: HV1-HV2 complete both ways,
/// HV2->HV3 missing the migration-service SPNs, HV3->HV4 missing the FQDN cifs SPN; HV4 (a 2016 host) uses "any
/// protocol"; SRV-UNC has unconstrained delegation; WEB1 carries RBCD for HV1 and HV2; EVIL has hostile strings and is
/// disabled; DelegGroup carries msDS-AllowedToDelegateTo (allowed on groups by a schema extension: stock AD schema
/// forbids it, which is why such settings show up only in odd estates).
/// </summary>
public static class LabScenario
{
    public const string Domain = "lab.test";
    public const string Mvsms = "Microsoft Virtual System Migration Service";
    public const string HostileOs = "<script>alert('x')</script> & \"Ünïcode\" ${{ injected }}\u200B";
    public const string DcAccount = "DC1$";

    public sealed record Computer(string Name, int Uac, string? Os, string? OsVersion, string[] Delegation, bool ViaSambaTool = false)
    {
        public string Sam => Name + "$";
        public string Dn => $"CN={Name},CN=Computers,{SambaDcFixture.BaseDn}";
        public string DnsName => Name.ToLowerInvariant() + "." + Domain;
        public string[] Spns => [$"HOST/{Name}", $"HOST/{DnsName}", $"{Mvsms}/{Name}", $"{Mvsms}/{DnsName}"];
    }

    public static string[] Full(string peer) => [$"cifs/{peer}", $"cifs/{peer}.{Domain}", $"{Mvsms}/{peer}", $"{Mvsms}/{peer}.{Domain}"];

    private const string Server2012 = "Windows Server 2012 Datacenter";
    private const string Server2016 = "Windows Server 2016 Datacenter";
    public const int Workstation = 0x1000;

    public static readonly Computer[] Computers =
    [
        new("HV1", Workstation, Server2012, "6.2 (9200)", Full("HV2"), ViaSambaTool: true),
        new("HV2", Workstation, Server2012, "6.2 (9200)", [.. Full("HV1"), "cifs/HV3", $"cifs/HV3.{Domain}"], ViaSambaTool: true),
        new("HV3", Workstation, Server2012, "6.2 (9200)", [.. Full("HV2"), "cifs/HV4", $"{Mvsms}/HV4", $"{Mvsms}/HV4.{Domain}"]),
        new("HV4", Workstation | 0x1000000, Server2016, "10.0 (14393)", Full("HV3")),
        new("SRV-UNC", Workstation | 0x80000, Server2012, "6.2 (9200)", []),
        new("WEB1", Workstation, Server2016, "10.0 (14393)", []),
        new("EVIL", Workstation | 0x2, HostileOs, null, []),
    ];

    public static readonly string[] Rbcd = ["HV1$", "HV2$"];
    public const string RbcdTarget = "WEB1";
    public const string GroupName = "DelegGroup";
    public static readonly string[] GroupDelegation = ["cifs/HV1", $"cifs/HV1.{Domain}"];
    public static readonly string[] GroupMembers = ["HV2", "HV3"];
    public static string GroupDn => $"CN={GroupName},CN=Users,{SambaDcFixture.BaseDn}";

    public static async Task PopulateAsync(SambaDcFixture dc)
    {
        var h = "-H";
        foreach (var c in Computers)
        {
            await SambaDcFixture.RunAsync("samba-tool", "computer", "create", c.Name, h, dc.SamLdb);
        }
        var ldif = new StringBuilder();
        foreach (var c in Computers)
        {
            ldif.Append(CultureInfo.InvariantCulture, $"dn: {c.Dn}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: {(c.Uac & ~(0x1000000 | 0x80000)).ToString(CultureInfo.InvariantCulture)}\n-\n");
            ldif.Append(CultureInfo.InvariantCulture, $"replace: dNSHostName\ndNSHostName: {c.DnsName}\n-\n");
            if (c.Os is not null)
            {
                ldif.Append(CultureInfo.InvariantCulture, $"replace: operatingSystem\noperatingSystem:: {B64(c.Os)}\n-\n");
            }
            if (c.OsVersion is not null)
            {
                ldif.Append(CultureInfo.InvariantCulture, $"replace: operatingSystemVersion\noperatingSystemVersion: {c.OsVersion}\n-\n");
            }
            ldif.Append("add: servicePrincipalName\n");
            foreach (var spn in c.Spns)
            {
                ldif.Append(CultureInfo.InvariantCulture, $"servicePrincipalName:: {B64(spn)}\n");
            }
            ldif.Append("-\n");
            if (!c.ViaSambaTool && c.Delegation.Length > 0)
            {
                ldif.Append("add: msDS-AllowedToDelegateTo\n");
                foreach (var d in c.Delegation)
                {
                    ldif.Append(CultureInfo.InvariantCulture, $"msDS-AllowedToDelegateTo:: {B64(d)}\n");
                }
                ldif.Append("-\n");
            }
            ldif.Append('\n');
        }
        await LdbAsync(dc, "ldbmodify", ldif.ToString());

        // The administrator's tool for the complete pair and the flags.
        foreach (var c in Computers.Where(c => c.ViaSambaTool))
        {
            foreach (var d in c.Delegation)
            {
                await SambaDcFixture.RunAsync("samba-tool", "delegation", "add-service", c.Sam, d, h, dc.SamLdb);
            }
        }
        foreach (var c in Computers)
        {
            if ((c.Uac & 0x80000) != 0)
            {
                await SambaDcFixture.RunAsync("samba-tool", "delegation", "for-any-service", c.Sam, "on", h, dc.SamLdb);
            }
            if ((c.Uac & 0x1000000) != 0)
            {
                await SambaDcFixture.RunAsync("samba-tool", "delegation", "for-any-protocol", c.Sam, "on", h, dc.SamLdb);
            }
        }
        foreach (var principal in Rbcd)
        {
            await SambaDcFixture.RunAsync("samba-tool", "delegation", "add-principal", RbcdTarget + "$", principal, h, dc.SamLdb);
        }

        // Group with msDS-AllowedToDelegateTo: extend the schema so the group class may hold it, then set it.
        await LdbAsync(dc, "ldbmodify",
            $"dn: CN=Group,CN=Schema,CN=Configuration,{SambaDcFixture.BaseDn}\nchangetype: modify\nadd: mayContain\nmayContain: msDS-AllowedToDelegateTo\n-\n",
            "--option=dsdb:schema update allowed=true");
        await SambaDcFixture.RunAsync("samba-tool", "group", "add", GroupName, h, dc.SamLdb);
        await SambaDcFixture.RunAsync("samba-tool", "group", "addmembers", GroupName, string.Join(',', GroupMembers.Select(m => m + "$")), h, dc.SamLdb);
        await LdbAsync(dc, "ldbmodify",
            $"dn: {GroupDn}\nchangetype: modify\nadd: msDS-AllowedToDelegateTo\n" + string.Concat(GroupDelegation.Select(d => $"msDS-AllowedToDelegateTo: {d}\n")) + "-\n");
    }

    /// <summary>Adds OU=Bulk with <paramref name="count"/> plain computer accounts BULK00001$... in one ldbadd.</summary>
    public static async Task AddBulkAsync(SambaDcFixture dc, int count)
    {
        var ldif = new StringBuilder();
        ldif.Append(CultureInfo.InvariantCulture, $"dn: OU=Bulk,{SambaDcFixture.BaseDn}\nobjectClass: organizationalUnit\n\n");
        for (var i = 1; i <= count; i++)
        {
            var name = BulkName(i);
            ldif.Append(CultureInfo.InvariantCulture,
                $"dn: CN={name},OU=Bulk,{SambaDcFixture.BaseDn}\nobjectClass: computer\nsAMAccountName: {name}$\nuserAccountControl: {Workstation}\ndNSHostName: {name.ToLowerInvariant()}.{Domain}\n\n");
        }
        await LdbAsync(dc, "ldbadd", ldif.ToString());
    }

    public static string BulkName(int i) => "BULK" + i.ToString("D5", CultureInfo.InvariantCulture);

    /// <summary>objectSid of the scenario accounts as ldbsearch prints them.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ReadSidsAsync(SambaDcFixture dc)
    {
        var names = Computers.Select(c => c.Sam).Append(DcAccount).ToList();
        var filter = "(|" + string.Concat(names.Select(n => $"(sAMAccountName={n})")) + ")";
        var output = await SambaDcFixture.RunAsync("ldbsearch", "-H", dc.SamLdb, filter, "sAMAccountName", "objectSid");
        var sids = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? sam = null;
        string? sid = null;
        foreach (var line in output.Split('\n').Append(string.Empty))
        {
            if (line.StartsWith("sAMAccountName: ", StringComparison.Ordinal))
            {
                sam = line["sAMAccountName: ".Length..].Trim();
            }
            else if (line.StartsWith("objectSid: ", StringComparison.Ordinal))
            {
                sid = line["objectSid: ".Length..].Trim();
            }
            else if (line.Length == 0 || line.StartsWith('#'))
            {
                if (sam is not null && sid is not null)
                {
                    sids[sam] = sid;
                }
                sam = sid = null;
            }
        }
        if (sids.Count != names.Count)
        {
            throw new InvalidOperationException($"ldbsearch returned SIDs for {sids.Count} of {names.Count} accounts:\n{output}");
        }
        return sids;
    }

    private static async Task LdbAsync(SambaDcFixture dc, string tool, string ldif, params string[] extra)
    {
        var file = Path.Combine(dc.Root, $"{tool}-{Guid.NewGuid():N}.ldif");
        await File.WriteAllTextAsync(file, ldif, new UTF8Encoding(false));
        await SambaDcFixture.RunAsync(tool, ["-H", dc.SamLdb, .. extra, file]);
    }

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
}
