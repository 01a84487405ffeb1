using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Audit.Collectors.Directory;
using Audit.Core;
using Audit.Tests.Common;
using Xunit.Abstractions;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Tests.Directory;

/// <summary>The LDAP collector against a real Samba AD DC (see <see cref="SambaDcFixture"/> and <see cref="LabScenario"/>).</summary>
[Collection(SambaDcDefinition.Name)]
public sealed partial class SambaDirectoryTests(SambaDcFixture dc, ITestOutputHelper output)
{
    private const string FixtureName = "samba-lab.directory.json";

    private DirectoryCollectorOptions Ldaps() => new()
    {
        Server = dc.LdapsUri,
        User = SambaDcFixture.AdminUser,
        Password = dc.AdminPassword,
        CaFile = dc.CaFile,
    };

    private DirectoryCollectorOptions PlainLdap() => new()
    {
        Server = dc.LdapUri,
        User = SambaDcFixture.AdminUser,
        Password = dc.AdminPassword,
    };

    private static Task<DirectoryCollectionResult> Collect(DirectoryCollectorOptions options)
        => LdapDirectoryCollector.CollectDetailedAsync(options, CancellationToken.None);

    [Fact]
    public async Task Ldaps_with_the_lab_ca_reads_every_delegation_setting_as_written()
    {
        var result = await Collect(Ldaps());

        AssertOk(result.Facts);
        Assert.Equal($"ldaps://{dc.Address}:636", result.Facts.Source);
        AssertScenario(result.Facts);
        AssertNoPassword(result.Facts);
    }

    [Fact]
    public async Task Plain_ldap_with_a_simple_bind_reads_the_same_facts_as_ldaps()
    {
        var ldaps = await Collect(Ldaps());
        var plain = await Collect(PlainLdap());

        AssertOk(plain.Facts);
        Assert.Equal($"ldap://{dc.Address}:389", plain.Facts.Source);
        AssertScenario(plain.Facts);
        AssertNoPassword(plain.Facts);
        Assert.Equal(Comparable(ldaps.Facts), Comparable(plain.Facts));
    }

    [Fact]
    public async Task StartTls_with_the_lab_ca_reads_the_same_facts()
    {
        var result = await Collect(PlainLdap() with { StartTls = true, CaFile = dc.CaFile });

        AssertOk(result.Facts);
        AssertScenario(result.Facts);
        AssertNoPassword(result.Facts);
    }

    [Fact]
    public async Task A_wrong_password_is_an_error_that_names_the_server_and_the_cause_but_not_the_password()
    {
        var wrong = "Wrong-" + Guid.NewGuid().ToString("N");
        var facts = (await Collect(Ldaps() with { Password = wrong })).Facts;

        AssertError(facts, $"ldaps://{dc.Address}:636");
        Assert.Equal(49, facts.Collection.ErrorCode);
        Assert.Contains("invalid credentials", facts.Collection.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(SambaDcFixture.AdminUser, facts.Collection.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, JsonSerializer.Serialize(facts, AuditJson.Options), StringComparison.Ordinal);
        AssertNoPassword(facts);
    }

    [Fact]
    public async Task Ldaps_without_the_lab_ca_is_an_untrusted_certificate_error()
    {
        var facts = (await Collect(Ldaps() with { CaFile = null })).Facts;

        AssertError(facts, $"ldaps://{dc.Address}:636");
        Assert.Contains("not trusted by the system trust store", facts.Collection.Message, StringComparison.Ordinal);
        AssertNoPassword(facts);
    }

    [Fact]
    public async Task Ldaps_trusting_another_ca_only_is_an_untrusted_certificate_error()
    {
        var facts = (await Collect(Ldaps() with { CaFile = dc.OtherCaFile })).Facts;

        AssertError(facts, $"ldaps://{dc.Address}:636");
        Assert.Contains("not trusted by the given CA file", facts.Collection.Message, StringComparison.Ordinal);
        AssertNoPassword(facts);
    }

    [Fact]
    public async Task StartTls_without_the_lab_ca_is_an_untrusted_certificate_error()
    {
        var facts = (await Collect(PlainLdap() with { StartTls = true })).Facts;

        AssertError(facts, $"ldap://{dc.Address}:389");
        Assert.Contains("not trusted", facts.Collection.Message, StringComparison.Ordinal);
        AssertNoPassword(facts);
    }

    [Fact]
    public async Task A_wrong_base_dn_is_an_error_with_the_ldap_result_code()
    {
        var facts = (await Collect(Ldaps() with { BaseDn = "OU=Nowhere,DC=lab,DC=test" })).Facts;

        AssertError(facts, $"ldaps://{dc.Address}:636");
        Assert.Equal(32, facts.Collection.ErrorCode);
        Assert.Contains("OU=Nowhere,DC=lab,DC=test", facts.Collection.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", facts.Collection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_port_is_an_error_naming_the_server()
    {
        var facts = (await Collect(PlainLdap() with { Server = new Uri("ldap://127.0.0.1:1"), Timeout = TimeSpan.FromSeconds(5) })).Facts;

        AssertError(facts, "ldap://127.0.0.1:1");
        Assert.Contains("cannot connect", facts.Collection.Message, StringComparison.Ordinal);
        Assert.Equal(81, facts.Collection.ErrorCode);
    }

    [Fact]
    public async Task An_anonymous_bind_is_refused_and_reported_as_an_error_not_as_an_empty_directory()
    {
        var facts = (await Collect(PlainLdap() with { User = null, Password = null })).Facts;

        AssertError(facts, $"ldap://{dc.Address}:389");
        Assert.NotNull(facts.Collection.ErrorCode);
    }

    [Fact]
    public async Task Paged_search_reads_every_computer_over_several_pages()
    {
        var expected = LabScenario.Computers.Length + 1 + dc.BulkCount;
        output.WriteLine($"fixture: provision {dc.ProvisionTime.TotalSeconds:0.0} s, populate {dc.PopulateTime.TotalSeconds:0.0} s, ldbadd of {dc.BulkCount} computers {dc.BulkAddTime.TotalSeconds:0.0} s, start {dc.StartTime.TotalSeconds:0.0} s");

        foreach (var pageSize in new[] { 50, DirectoryCollectorOptions.DefaultPageSize })
        {
            var watch = Stopwatch.StartNew();
            var result = await Collect(Ldaps() with { PageSize = pageSize });
            watch.Stop();

            AssertOk(result.Facts);
            Assert.Equal(expected, result.Facts.Computers.Count);
            Assert.Equal(expected, result.Facts.Computers.Select(c => c.DistinguishedName).Distinct(StringComparer.OrdinalIgnoreCase).Count());
            for (var i = 1; i <= dc.BulkCount; i++)
            {
                Assert.Contains(result.Facts.Computers, c => c.SamAccountName == LabScenario.BulkName(i) + "$");
            }
            var minimumPages = (expected + pageSize - 1) / pageSize;
            Assert.True(result.ComputerPages >= minimumPages, $"{result.ComputerPages} pages for {expected} computers at page size {pageSize}");
            if (pageSize == 50)
            {
                Assert.True(result.ComputerPages > 1, "more than one page must have been read");
            }
            output.WriteLine($"page size {pageSize}: {expected} computers in {result.ComputerPages} pages, {watch.Elapsed.TotalMilliseconds:0} ms ({result.Facts.Collection.DurationMs} ms inside the collector)");
        }
    }

    [Fact]
    public async Task The_main_scenario_snapshot_fixture_matches_live_collection_and_round_trips_through_the_snapshot_loader()
    {
        var facts = (await Collect(Ldaps())).Facts;
        AssertOk(facts);
        // The paging accounts of OU=Bulk are left out to keep the fixture readable; every other value is as collected.
        facts = facts with { Computers = [.. facts.Computers.Where(c => !c.DistinguishedName.EndsWith(",OU=Bulk,DC=lab,DC=test", StringComparison.OrdinalIgnoreCase))] };
        var snapshot = new Snapshot
        {
            CollectedAt = DateTimeOffset.UtcNow,
            Collector = new ToolInfo { Name = "Audit.Collectors.Tests (Samba AD DC lab)", Version = "1" },
            Hosts = [],
            Directory = facts,
        };
        var json = JsonSerializer.Serialize(snapshot, AuditJson.Options) + "\n";
        AssertNoPasswordIn(json);

        var loaded = SnapshotLoader.Parse(Encoding.UTF8.GetBytes(json), FixtureName);
        Assert.Equal(json, JsonSerializer.Serialize(loaded.Value, AuditJson.Options) + "\n");
        Assert.Equal(facts.Computers.Count, loaded.Value.Directory!.Computers.Count);

        var path = Path.Combine(RepoPaths.Fixtures("Audit.Collectors.Tests"), FixtureName);
        var approve = Environment.GetEnvironmentVariable("AUDIT_APPROVE") == "1";
        if (approve || !File.Exists(path))
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, json, new UTF8Encoding(false));
        }
        var committed = await File.ReadAllTextAsync(path);
        var committedLoaded = SnapshotLoader.Parse(Encoding.UTF8.GetBytes(committed), FixtureName);
        Assert.NotNull(committedLoaded.Value.Directory);
        if (Normalize(committed) != Normalize(json))
        {
            await File.WriteAllTextAsync(path + ".received", json, new UTF8Encoding(false));
            Assert.Equal(Normalize(committed), Normalize(json));
        }
    }

    private void AssertScenario(DirectoryFacts facts)
    {
        Assert.Equal(LabScenario.Domain, facts.Domain);
        Assert.Equal(SambaDcFixture.BaseDn, facts.BaseDn);
        var bySam = facts.Computers.ToDictionary(c => c.SamAccountName, StringComparer.OrdinalIgnoreCase);

        foreach (var expected in LabScenario.Computers)
        {
            Assert.True(bySam.TryGetValue(expected.Sam, out var c), $"{expected.Sam} not collected");
            Assert.Equal(expected.Sam, c!.SamAccountName);
            Assert.Equal(expected.Dn, c.DistinguishedName);
            Assert.Equal(expected.DnsName, c.DnsHostName);
            Assert.Equal(expected.Uac, c.UserAccountControl);
            Assert.Equal(UacFlags.Decode(expected.Uac), c.Flags);
            Assert.Equal(Sorted(expected.Delegation), c.AllowedToDelegateTo);
            Assert.Equal(Sorted(expected.Spns), c.ServicePrincipalNames);
            Assert.Equal(expected.Os, c.OperatingSystem);
            Assert.Equal(expected.OsVersion, c.OperatingSystemVersion);
            Assert.Equal(dc.Sids[expected.Sam], c.ObjectSid);
            if (expected.Name == LabScenario.RbcdTarget)
            {
                Assert.True(c.HasResourceBasedDelegation);
                Assert.Equal(LabScenario.Rbcd.Select(p => dc.Sids[p]).Order(StringComparer.Ordinal), c.ResourceBasedDelegationSids);
            }
            else
            {
                Assert.False(c.HasResourceBasedDelegation, $"{c.SamAccountName} has no RBCD");
                Assert.Empty(c.ResourceBasedDelegationSids);
            }
        }

        // Specific flags, spelled out.
        Assert.True(bySam["HV4$"].Flags.TrustedToAuthForDelegation);
        Assert.False(bySam["HV1$"].Flags.TrustedToAuthForDelegation);
        Assert.True(bySam["SRV-UNC$"].Flags.TrustedForDelegation);
        Assert.False(bySam["SRV-UNC$"].Flags.ServerTrustAccount);
        Assert.True(bySam["EVIL$"].Flags.Disabled);
        Assert.Equal(LabScenario.HostileOs, bySam["EVIL$"].OperatingSystem);
        Assert.DoesNotContain("cifs/HV4.lab.test", bySam["HV3$"].AllowedToDelegateTo);
        Assert.DoesNotContain(bySam["HV2$"].AllowedToDelegateTo, d => d.StartsWith(LabScenario.Mvsms + "/HV3", StringComparison.Ordinal));

        var dcAccount = bySam[LabScenario.DcAccount];
        Assert.True(dcAccount.Flags.ServerTrustAccount);
        Assert.True(dcAccount.Flags.TrustedForDelegation);
        Assert.StartsWith("CN=DC1,OU=Domain Controllers,", dcAccount.DistinguishedName, StringComparison.Ordinal);
        Assert.Equal("dc1.lab.test", dcAccount.DnsHostName);
        Assert.Equal(dc.Sids[LabScenario.DcAccount], dcAccount.ObjectSid);

        // Only the DC and SRV-UNC are trusted for unconstrained delegation.
        Assert.Equal(["DC1$", "SRV-UNC$"], facts.Computers.Where(c => c.Flags.TrustedForDelegation).Select(c => c.SamAccountName).Order(StringComparer.Ordinal));

        // Deterministic order.
        Assert.Equal(facts.Computers.Select(c => c.SamAccountName).Order(LdapDirectoryCollector.ValueOrder), facts.Computers.Select(c => c.SamAccountName));

        var group = Assert.Single(facts.Groups);
        Assert.Equal(LabScenario.GroupName, group.SamAccountName);
        Assert.Equal(LabScenario.GroupDn, group.DistinguishedName);
        Assert.Equal(Sorted(LabScenario.GroupDelegation), group.AllowedToDelegateTo);
        Assert.Equal(Sorted(LabScenario.GroupMembers.Select(m => $"CN={m},CN=Computers,{SambaDcFixture.BaseDn}")), group.Members);
    }

    private static IEnumerable<string> Sorted(IEnumerable<string> values)
        => values.OrderBy(v => v, StringComparer.OrdinalIgnoreCase).ThenBy(v => v, StringComparer.Ordinal);

    private static void AssertOk(DirectoryFacts facts)
    {
        Assert.True(facts.Collection.Status == CollectionState.Ok, $"collection failed: {facts.Collection.Message}");
        Assert.Equal("directory", facts.Collection.Collector);
        Assert.Null(facts.Collection.Message);
        Assert.Null(facts.Collection.ErrorCode);
        Assert.NotNull(facts.Collection.DurationMs);
    }

    private void AssertError(DirectoryFacts facts, string server)
    {
        output.WriteLine($"message: {facts.Collection.Message} (code {facts.Collection.ErrorCode})");
        Assert.Equal(CollectionState.Error, facts.Collection.Status);
        Assert.Equal("directory", facts.Collection.Collector);
        Assert.Empty(facts.Computers);
        Assert.Empty(facts.Groups);
        Assert.NotNull(facts.Collection.Message);
        Assert.StartsWith($"Directory collection from {server} failed: ", facts.Collection.Message, StringComparison.Ordinal);
        Assert.EndsWith(".", facts.Collection.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', facts.Collection.Message);
        Assert.Equal(server, facts.Source);
    }

    private void AssertNoPassword(DirectoryFacts facts) => AssertNoPasswordIn(JsonSerializer.Serialize(facts, AuditJson.Options));

    private void AssertNoPasswordIn(string text) => Assert.DoesNotContain(dc.AdminPassword, text, StringComparison.Ordinal);

    private static string Comparable(DirectoryFacts facts)
        => JsonSerializer.Serialize(facts with { Source = null, Collection = facts.Collection with { DurationMs = null } }, AuditJson.Options);

    /// <summary>Removes what changes from one provisioning to the next: times, durations, the domain SID and the Samba version.</summary>
    private static string Normalize(string json)
    {
        json = DomainSid().Replace(json, "S-1-5-21-DOMAIN");
        json = Duration().Replace(json, "\"durationMs\": 0");
        json = SambaVersion().Replace(json, "$1\"(samba version)\"");
        json = SourceAddress().Replace(json, "$1(dc address)$2");
        return CollectedAt().Replace(json, "\"collectedAt\": \"\"");
    }

    /// <summary>The test DC's address differs per run (its own network namespace).</summary>
    [GeneratedRegex(@"(""source"": ""ldaps?://)[0-9.]+(:[0-9]+"")", RegexOptions.CultureInvariant)]
    private static partial Regex SourceAddress();

    [GeneratedRegex(@"S-1-5-21-\d+-\d+-\d+", RegexOptions.CultureInvariant)]
    private static partial Regex DomainSid();

    [GeneratedRegex(@"""durationMs"": [0-9.]+", RegexOptions.CultureInvariant)]
    private static partial Regex Duration();

    [GeneratedRegex(@"(""operatingSystem"": ""Samba"",\s*""operatingSystemVersion"": )""[^""]*""", RegexOptions.CultureInvariant)]
    private static partial Regex SambaVersion();

    [GeneratedRegex(@"""collectedAt"": ""[^""]*""", RegexOptions.CultureInvariant)]
    private static partial Regex CollectedAt();
}
