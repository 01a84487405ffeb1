using Audit.Core;
using Audit.Tests.Common;
using Audit.Rules.Compilation;
using Audit.Rules.Evaluation;
using Audit.Core.Loading;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Generator.Tests;

public class EstateGeneratorTests
{
    private static readonly Lazy<RuleCatalog> Shipped = new(() =>
    {
        var r = RuleSetLoader.Load([RepoPaths.Rules]);
        Assert.True(r.Succeeded, string.Join("\n", r.Diagnostics));
        return r.Catalog!;
    });

    private static byte[] Bytes(GeneratorOptions options)
    {
        using var ms = new MemoryStream();
        EstateGenerator.Write(EstateGenerator.Generate(options).Snapshot, ms);
        return ms.ToArray();
    }

    /// <summary>Generates, writes, reloads through the strict loader (schema, duplicate keys, duplicate hosts) and evaluates with the shipped rules.</summary>
    private static (LoadedJson<Snapshot> Snapshot, ResultsDocument Results) GenerateAndEvaluate(GeneratorOptions options)
    {
        var loaded = SnapshotLoader.Parse(Bytes(options), "generated.json");
        var results = Evaluator.Evaluate(Shipped.Value, loaded, new EvaluationOptions { RecordTimings = false });
        return (loaded, results);
    }

    [Fact]
    public void Healthy_estate_is_schema_valid_and_passes_every_shipped_rule_without_errors()
    {
        var (loaded, results) = GenerateAndEvaluate(new GeneratorOptions { Hosts = 60, VmsPerHost = 12, ViolationRate = 0, Seed = 7 });
        Assert.Equal(62, loaded.Value.Hosts.Count);
        Assert.Equal(60 * 12, loaded.Value.Hosts.Sum(h => h.Vms?.Count ?? 0));
        // Lifecycle verdicts follow from the OS mix and the snapshot date, not from configuration: the generated mix
        // includes XP / 2003 guests and 2012 hosts, past support at the default collectedAt, by design. They must not be errors.
        var bad = results.Results.Where(v => v.Outcome is Outcome.Error || (v.Outcome is Outcome.Fail && !v.RuleId.StartsWith("LIFE-", StringComparison.Ordinal)))
            .Take(5).Select(v => $"{v.RuleId} {v.Entity}: {v.Message}").ToList();
        Assert.True(bad.Count == 0, string.Join("\n", bad));
        // Every shipped rule is exercised: each has at least one entity it applies to (and passes).
        var passing = results.Results.Where(v => v.Outcome == Outcome.Pass).Select(v => v.RuleId).ToHashSet();
        Assert.DoesNotContain(Shipped.Value.Rules, r => !passing.Contains(r.Id));
    }

    [Fact]
    public void Estate_has_the_advertised_mix()
    {
        var snap = EstateGenerator.Generate(new GeneratorOptions { Hosts = 200, VmsPerHost = 20, Seed = 3 }).Snapshot;
        var hostVersions = snap.Hosts.Select(h => h.Os!.Version).ToHashSet();
        Assert.Superset(new HashSet<string> { "6.2.9200", "6.3.9600", "10.0.14393", "10.0.17763" }, hostVersions.Where(v => !v.StartsWith("6.1", StringComparison.Ordinal)).ToHashSet());
        Assert.Contains("6.2.9200", hostVersions);
        Assert.Contains("6.3.9600", hostVersions);
        var guests = snap.Hosts.SelectMany(h => h.Vms ?? []).Where(v => v.Guest is not null).Select(v => v.Guest!.OsVersion).ToHashSet();
        Assert.Contains("5.1.2600", guests);
        Assert.Contains("5.2.3790", guests);
        Assert.Contains("6.1.7601", guests);
        var vms = snap.Hosts.SelectMany(h => h.Vms ?? []).ToList();
        Assert.Contains(vms, v => v.State == "Off" && v.Guest is null);
        Assert.Contains(vms, v => v.Disks.Any(d => d.Format == "VHD"));
        Assert.Contains(vms, v => v.Disks.Any(d => d.Format == "VHDX" && d.Type == "Dynamic"));
        // 2012 hosts keep separate packages for NT 5.x and 6.x guests; 2012 R2 one package.
        Assert.Contains(snap.Hosts, h => h.IntegrationServices?.ContainsKey("Microsoft-Hyper-V-Guest-Installer-Win5x-Package") == true);
        Assert.Contains(snap.Hosts, h => h.IntegrationServices?.Keys.SequenceEqual(["Microsoft-Hyper-V-Guest-Installer"]) == true);
        var hyperV = snap.Hosts.Where(h => h.Roles!.HyperV).ToList();
        Assert.All(hyperV.Where(h => h.Os!.Version == "6.2.9200"), h => Assert.InRange(h.Hotfixes!.Count, 100, 220));
        Assert.All(snap.Hosts, h => Assert.Contains(h.ScheduledTasks!, t => t.Name == "ScheduledDefrag"));
        Assert.Equal(20, hyperV.Count(h => h.Cluster is null));
    }

    [Fact]
    public void Same_seed_gives_byte_identical_output_and_another_seed_does_not()
    {
        var o = new GeneratorOptions { Hosts = 40, VmsPerHost = 8, Seed = 42, ViolationRate = 0.1, ErrorRate = 0.05 };
        var a = Bytes(o);
        var b = Bytes(o);
        Assert.Equal(Hashing.Sha256(a), Hashing.Sha256(b));
        Assert.NotEqual(Hashing.Sha256(a), Hashing.Sha256(Bytes(o with { Seed = 43 })));
    }

    [Fact]
    public void Violation_rate_is_honoured_per_rule_family()
    {
        const double rate = 0.1;
        var (_, results) = GenerateAndEvaluate(new GeneratorOptions { Hosts = 240, VmsPerHost = 10, Clusters = 60, ViolationRate = rate, Seed = 11 });
        Assert.DoesNotContain(results.Results, v => v.Outcome == Outcome.Error);
        // Not injected, so not measured here: lifecycle (follows from the OS mix and the date) and cluster OS consistency (a
        // node at another version would change the facts of every other family); their rule cases cover them.
        var all = results.Results.GroupBy(v => v.RuleId[..v.RuleId.LastIndexOf('-')]).ToList();
        Assert.Equal(["AD-DELEG", "CLU", "DISK", "HV-IS", "HV-LM", "KB", "LIFE", "SMB", "TRIM"], all.Select(g => g.Key).Order(StringComparer.Ordinal));
        var byFamily = all.Where(g => g.Key is not ("LIFE" or "CLU")).ToList();
        var report = new List<string>();
        foreach (var family in byFamily)
        {
            var fails = family.Count(v => v.Outcome == Outcome.Fail);
            var applicable = family.Count(v => v.Outcome is Outcome.Fail or Outcome.Pass);
            var measured = (double)fails / applicable;
            report.Add($"{family.Key}: {fails}/{applicable} = {measured:F3}");
        }
        // Cluster-wide settings (live migration, hotfix sets) are injected a whole cluster at a time so that the cluster
        // consistency rules stay honest; with clusters of four the granularity is small enough for a tight bound.
        foreach (var family in byFamily)
        {
            var applicable = family.Count(v => v.Outcome is Outcome.Fail or Outcome.Pass);
            var measured = (double)family.Count(v => v.Outcome == Outcome.Fail) / applicable;
            Assert.True(Math.Abs(measured - rate) <= 0.03, string.Join("\n", report));
        }
        // Rules over many entities (pairs, VMs) get the rate almost exactly.
        foreach (var rule in new[] { "AD-DELEG-001", "HV-IS-001", "HV-IS-002", "HV-IS-003", "DISK-001", "DISK-002", "DISK-003", "TRIM-001", "SMB-002" })
        {
            var v = results.Results.Where(x => x.RuleId == rule && x.Outcome is Outcome.Fail or Outcome.Pass).ToList();
            var measured = (double)v.Count(x => x.Outcome == Outcome.Fail) / v.Count;
            Assert.True(Math.Abs(measured - rate) <= 0.01 + (1.0 / v.Count), $"{rule}: {measured:F3} over {v.Count}");
        }
    }

    [Fact]
    public void Error_rate_gives_errors_only_for_rules_reading_the_failed_facts()
    {
        var (loaded, results) = GenerateAndEvaluate(new GeneratorOptions { Hosts = 100, VmsPerHost = 4, ViolationRate = 0, ErrorRate = 0.1, Seed = 5 });
        var failedHosts = loaded.Value.Hosts.Where(h => h.Collection.Any(c => c.Status == CollectionState.Error)).Select(h => h.Name).ToHashSet();
        Assert.Equal(10, failedHosts.Count);
        var errors = results.Results.Where(v => v.Outcome == Outcome.Error).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, v => Assert.StartsWith("KB-", v.RuleId, StringComparison.Ordinal));
        Assert.All(errors, v => Assert.Contains("'hotfixes' collection failed", v.Message, StringComparison.Ordinal));
        Assert.DoesNotContain(results.Results, v => v.Outcome == Outcome.Fail && !v.RuleId.StartsWith("LIFE-", StringComparison.Ordinal));
    }

    [Fact]
    public void Host_pairs_exist_only_within_clusters_and_every_cluster_pair_has_delegation_entries()
    {
        var (loaded, results) = GenerateAndEvaluate(new GeneratorOptions { Hosts = 90, VmsPerHost = 2, Clusters = 7, ViolationRate = 0, Seed = 9 });
        var hosts = loaded.Value.Hosts.ToDictionary(h => h.Name);
        var clusters = hosts.Values.Where(h => h.Cluster is not null).GroupBy(h => h.Cluster).ToList();
        Assert.Equal(7, clusters.Count);
        var pairs = results.Results.Where(v => v.Scope == Scope.HostPair).ToList();
        Assert.Equal(clusters.Sum(c => c.Count() * (c.Count() - 1)), pairs.Count);
        Assert.All(pairs, v =>
        {
            var ends = v.Entity.Key.Split("->");
            Assert.NotNull(hosts[ends[0]].Cluster);
            Assert.Equal(hosts[ends[0]].Cluster, hosts[ends[1]].Cluster);
            Assert.Equal(Outcome.Pass, v.Outcome);
        });
        var computers = loaded.Value.Directory!.Computers.ToDictionary(c => c.SamAccountName);
        foreach (var c in clusters)
        {
            foreach (var a in c)
            {
                var entries = computers[a.Name + "$"].AllowedToDelegateTo;
                Assert.Equal(4 * (c.Count() - 1), entries.Count);
            }
        }
    }

    [Fact]
    public void Missing_delegation_share_is_controlled()
    {
        var snap = EstateGenerator.Generate(new GeneratorOptions { Hosts = 64, VmsPerHost = 0, Clusters = 4, ViolationRate = 0.25, Seed = 2 }).Snapshot;
        var computers = snap.Directory!.Computers.ToDictionary(c => c.SamAccountName);
        var pairs = 0;
        var incomplete = 0;
        foreach (var cluster in snap.Hosts.Where(h => h.Cluster is not null).GroupBy(h => h.Cluster))
        {
            foreach (var a in cluster)
            {
                var have = computers[a.Name + "$"].AllowedToDelegateTo.ToHashSet(StringComparer.OrdinalIgnoreCase);
                foreach (var b in cluster.Where(b => b != a))
                {
                    pairs++;
                    string[] need = [$"cifs/{b.Name}", $"cifs/{b.Fqdn}", $"Microsoft Virtual System Migration Service/{b.Name}", $"Microsoft Virtual System Migration Service/{b.Fqdn}"];
                    incomplete += need.All(have.Contains) ? 0 : 1;
                }
            }
        }
        Assert.True(pairs > 700, $"{pairs} pairs");
        Assert.Equal((int)Math.Round(0.25 * pairs, MidpointRounding.AwayFromZero), incomplete);
    }

    [Theory]
    [InlineData(0, 1, 0.1, "--hosts")]
    [InlineData(10, -1, 0.1, "--vms-per-host")]
    [InlineData(10, 1, 1.5, "--violation-rate")]
    [InlineData(10, 1, double.NaN, "--violation-rate")]
    public void Bad_options_are_refused(int hosts, int vms, double rate, string named)
    {
        var o = new GeneratorOptions { Hosts = hosts, VmsPerHost = vms, ViolationRate = rate };
        Assert.Contains(o.Problems(), p => p.StartsWith(named, StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => EstateGenerator.Generate(o));
    }
}
