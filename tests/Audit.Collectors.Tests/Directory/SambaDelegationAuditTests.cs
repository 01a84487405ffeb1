using System.Text.Json;
using Audit.Cli;
using Audit.Core;
using Audit.Tests.Common;
using Xunit.Abstractions;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Tests.Directory;

/// <summary>
/// Issue 6 end to end against the Samba AD DC: `audit collect --directory ldaps://... --directory-ca ...` reads the lab,
/// `audit snapshot merge` joins it with host facts for the lab's Hyper-V hosts, `audit evaluate` runs the AD-DELEG rules
/// of rules/delegation.json, and the verdicts for the lab's cases are what the scenario wrote.
/// </summary>
[Collection(SambaDcDefinition.Name)]
public sealed class SambaDelegationAuditTests(SambaDcFixture dc, ITestOutputHelper output)
{
    private sealed record Cli(int ExitCode, string Out, string Err);

    private Cli Run(string cwd, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var env = new CliEnvironment
        {
            CurrentDirectory = cwd,
            Clock = () => new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero),
            GetVariable = n => n == "LAB_PW" ? dc.AdminPassword : null,
            CanCollectCim = false,
        };
        var code = CliApp.Run(args, o, e, env);
        output.WriteLine($"audit {string.Join(' ', args)} -> {code}\n{o}{e}");
        return new Cli(code, o.ToString(), e.ToString());
    }

    /// <summary>Host facts as collection on Windows would give them for the lab's Hyper-V hosts (one migration group).</summary>
    private static Snapshot LabHosts() => new()
    {
        CollectedAt = new DateTimeOffset(2026, 11, 25, 1, 0, 0, TimeSpan.Zero),
        Hosts =
        [
            .. new[] { ("HV1", "6.2.9200"), ("HV2", "6.2.9200"), ("HV3", "6.2.9200"), ("HV4", "10.0.14393") }.Select(h => new HostFacts
            {
                Name = h.Item1,
                Fqdn = h.Item1.ToLowerInvariant() + "." + LabScenario.Domain,
                Domain = LabScenario.Domain,
                MigrationGroup = "LAB",
                Os = new OsFacts { Version = h.Item2, ProductType = 3 },
                Roles = new RoleFacts { HyperV = true, FeatureIds = [20] },
                Collection =
                [
                    new CollectionStatus { Collector = FactFamilies.Os, Status = CollectionState.Ok },
                    new CollectionStatus { Collector = FactFamilies.Roles, Status = CollectionState.Ok },
                    new CollectionStatus { Collector = FactFamilies.Cluster, Status = CollectionState.Ok, Message = "not clustered" },
                ],
            }),
        ],
    };

    [Fact]
    public void Collect_over_ldaps_merge_with_hosts_and_evaluate_the_delegation_rules()
    {
        using var dir = new TempDir();
        var collect = Run(dir.Path, "collect", "--directory", $"ldaps://{dc.Address}", "--directory-ca", dc.CaFile,
            "--directory-user", SambaDcFixture.AdminUser, "--directory-password-env", "LAB_PW", "--out", "directory.json");
        Assert.Equal(ExitCodes.Compliant, collect.ExitCode);
        Assert.StartsWith("Collected directory lab.test: ", collect.Out, StringComparison.Ordinal);
        Assert.Equal("", collect.Err); // LDAPS: no clear-text warning

        File.WriteAllText(Path.Combine(dir.Path, "hosts.json"), JsonSerializer.Serialize(LabHosts(), AuditJson.Options));
        var merge = Run(dir.Path, "snapshot", "merge", "hosts.json", "directory.json", "--out", "estate.json");
        Assert.Equal(ExitCodes.Compliant, merge.ExitCode);

        var evaluate = Run(dir.Path, "evaluate", "--snapshot", "estate.json", "--rules", Path.Combine(RepoPaths.Rules, "delegation.json"),
            "--format", "json", "--out", "out", "--quiet");
        Assert.Equal(ExitCodes.Failed, evaluate.ExitCode);
        var results = JsonSerializer.Deserialize<ResultsDocument>(File.ReadAllBytes(Path.Combine(dir.Path, "out", "results.json")), AuditJson.Options)!;
        foreach (var v in results.Results.Where(v => !v.Entity.Key.StartsWith("BULK", StringComparison.Ordinal) && v.Outcome != Outcome.NotApplicable))
        {
            output.WriteLine($"{v.RuleId} {v.Entity}: {v.Outcome}: {v.Message}");
        }
        Verdict V(string rule, string entity) => Assert.Single(results.Results, v => v.RuleId == rule && v.Entity.Key == entity);

        // Complete pair, both directions (set with samba-tool delegation add-service).
        Assert.Equal(Outcome.Pass, V("AD-DELEG-001", "HV1->HV2").Outcome);
        Assert.Equal(Outcome.Pass, V("AD-DELEG-001", "HV2->HV1").Outcome);
        Assert.Equal(Outcome.Pass, V("AD-DELEG-001", "HV3->HV2").Outcome);
        // HV4 runs 2016, HV3 2012: live migration to an older Hyper-V version is not supported, so that direction needs nothing.
        Assert.Equal(Outcome.NotApplicable, V("AD-DELEG-001", "HV4->HV3").Outcome);

        // Missing migration-service SPNs: HV2 -> HV3 has only the cifs entries.
        var noMvsms = V("AD-DELEG-001", "HV2->HV3");
        Assert.Equal(Outcome.Fail, noMvsms.Outcome);
        Assert.Contains($"{LabScenario.Mvsms}/HV3", noMvsms.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cifs/", noMvsms.Message, StringComparison.OrdinalIgnoreCase);

        // Missing FQDN SPN: HV3 -> HV4 lacks exactly cifs/hv4.lab.test.
        var noFqdn = V("AD-DELEG-001", "HV3->HV4");
        Assert.Equal(Outcome.Fail, noFqdn.Outcome);
        Assert.Contains("missing: cifs/HV4.lab.test", noFqdn.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(LabScenario.Mvsms, noFqdn.Message, StringComparison.Ordinal);

        // No delegation at all between hosts that were never paired.
        Assert.Equal(Outcome.Fail, V("AD-DELEG-001", "HV1->HV4").Outcome);

        // Unconstrained delegation: the member server fails, the DC is excluded, ordinary hosts pass.
        var unc = V("AD-DELEG-002", "SRV-UNC$");
        Assert.Equal(Outcome.Fail, unc.Outcome);
        Assert.Contains("TRUSTED_FOR_DELEGATION set", unc.Message, StringComparison.Ordinal);
        var dcVerdict = V("AD-DELEG-002", LabScenario.DcAccount);
        Assert.Equal(Outcome.NotApplicable, dcVerdict.Outcome);
        Assert.Contains("domain controller", dcVerdict.Message, StringComparison.Ordinal);
        Assert.Equal(Outcome.Pass, V("AD-DELEG-002", "HV1$").Outcome);

        // Protocol transition by OS: HV4 (2016) needs "any protocol" and has it; HV1 (2012) uses "Kerberos only", the 2012 guidance.
        Assert.Equal(Outcome.Pass, V("AD-DELEG-003", "HV4$").Outcome);
        Assert.Equal(Outcome.NotApplicable, V("AD-DELEG-003", "HV1$").Outcome);
        Assert.Equal(Outcome.Pass, V("AD-DELEG-006", "HV1$").Outcome);

        // Every entry of HV3 resolves through the servicePrincipalName Samba stores for the destination accounts.
        Assert.Equal(Outcome.Pass, V("AD-DELEG-004", "HV3$").Outcome);

        // Nothing secret in what was written or printed.
        foreach (var f in new[] { "directory.json", "estate.json", Path.Combine("out", "results.json") })
        {
            Assert.DoesNotContain(dc.AdminPassword, File.ReadAllText(Path.Combine(dir.Path, f)), StringComparison.Ordinal);
        }
        Assert.DoesNotContain(dc.AdminPassword, collect.Out + collect.Err + merge.Out + evaluate.Out + evaluate.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_ldap_simple_bind_warns_and_still_collects()
    {
        using var dir = new TempDir();
        var collect = Run(dir.Path, "collect", "--directory", $"ldap://{dc.Address}", "--directory-user", SambaDcFixture.AdminUser,
            "--directory-password-env", "LAB_PW", "--out", "plain.json");
        Assert.Equal(ExitCodes.Compliant, collect.ExitCode);
        Assert.Contains("warning AUD0051", collect.Err, StringComparison.Ordinal);
        var snapshot = SnapshotLoader.Load(Path.Combine(dir.Path, "plain.json")).Value;
        Assert.Contains(snapshot.Directory!.Computers, c => c.SamAccountName == "SRV-UNC$" && c.Flags.TrustedForDelegation);
    }
}
