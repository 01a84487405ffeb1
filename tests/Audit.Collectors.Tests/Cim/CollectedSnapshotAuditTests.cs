using System.Text;
using System.Text.Json;
using Audit.Collectors.Cim;
using Audit.Core;
using Audit.Tests.Common;
using Xunit.Abstractions;
using Audit.Rules.Compilation;
using Audit.Rules.Evaluation;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Tests.Cim;

/// <summary>
/// What the CIM collectors produce is what the shipped rules read: hosts collected from the recorded answers, written
/// as a snapshot, loaded strictly and evaluated with rules/. Failed families give error verdicts, unsupported ones
/// not-applicable, never pass.
/// </summary>
public sealed class CollectedSnapshotAuditTests(ITestOutputHelper output)
{
    private static async Task<ResultsDocument> EvaluateAsync()
    {
        var replay = Audit.Collectors.Recording.ReplayCimSessionFactory.Load(CimRecording.Folder);
        var hosts = (await new CollectionRunner(replay).RunAsync(replay.Hosts, new CollectionRunOptions())).Hosts;
        CimRecording.AssertAllAnswered(replay);
        var collectedAt = new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero);
        var snapshot = new Snapshot { CollectedAt = collectedAt, Hosts = hosts };
        var loaded = SnapshotLoader.Parse(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(snapshot, AuditJson.Options)), "collected.snapshot.json");
        var rules = RuleSetLoader.Load([RepoPaths.Rules]);
        Assert.True(rules.Succeeded, string.Join("\n", rules.Diagnostics));
        return Evaluator.Evaluate(rules.Catalog!, loaded, new EvaluationOptions { Clock = () => collectedAt, RecordTimings = false });
    }

    [Fact]
    public async Task Collected_hosts_evaluate_with_the_shipped_rules_fail_closed()
    {
        var results = await EvaluateAsync();
        foreach (var v in results.Results)
        {
            output.WriteLine($"{v.RuleId} {v.Entity}: {v.Outcome}: {v.Message}");
        }
        Outcome O(string rule, string entity) => Assert.Single(results.Results, v => v.RuleId == rule && v.Entity.Key == entity).Outcome;

        Assert.Equal(Outcome.Pass, O("HV-IS-001", "HV1/LEGACY-XP"));
        Assert.Equal(Outcome.Pass, O("HV-IS-001", "HV1/APP01"));
        Assert.Equal(Outcome.Pass, O("KB-001", "HV1"));
        // HV1 is a cluster node: the cluster moves its VMs with its own settings, so the host's migration settings do not apply.
        Assert.Equal(Outcome.NotApplicable, O("HV-LM-002", "HV1"));
        Assert.Equal(Outcome.Fail, O("HV-LM-002", "HV4"));
        Assert.Equal(Outcome.Fail, O("HV-LM-004", "HV4"));
        Assert.Equal(Outcome.Fail, O("SMB-002", "HV1"));
        Assert.Equal(Outcome.Pass, O("SMB-002", "HV4"));
        Assert.Equal(Outcome.Fail, O("TRIM-002", "HV4"));
        Assert.Equal(Outcome.Pass, O("TRIM-001", "HV1"));

        // AccessDenied on Msvm_ComputerSystem: every VM rule on that host is an error, never a pass.
        Assert.All(results.Results.Where(v => v.Entity.Key.StartsWith("HV5/", StringComparison.Ordinal)), v => Assert.Equal(Outcome.Error, v.Outcome));
        Assert.Contains(results.Results, v => v.Entity.Key.StartsWith("HV5/", StringComparison.Ordinal));
        Assert.Equal(Outcome.Error, O("TRIM-001", "HV5"));
        // No Hyper-V: VM rules are not applicable there.
        Assert.All(results.Results.Where(v => v.Entity.Key.StartsWith("FS1/", StringComparison.Ordinal)), v => Assert.Equal(Outcome.NotApplicable, v.Outcome));
        Assert.DoesNotContain(results.Results, v => v.Entity.Key.StartsWith("HV5", StringComparison.Ordinal) && v.RuleId.StartsWith("DISK", StringComparison.Ordinal) && v.Outcome == Outcome.Pass);
    }
}
