using System.Text.Json;
using Audit.Core;
using Audit.Rules.Compilation;
using Audit.Rules.Evaluation;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Rules.Tests;

public class EvaluatorTests
{
    private static Verdict One(RuleCatalog catalog, Snapshot snapshot) => Assert.Single(RuleSetText.Evaluate(catalog, snapshot).Results);

    [Fact]
    public void Versions_compare_as_versions_not_strings()
    {
        // As strings "6.2.9200.9999" > "6.2.9200.16433"; as versions it is older.
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-VER-001", "vm", "Fn.Ver(vm.Guest.IntegrationServicesVersion) >= Fn.Ver(\"6.2.9200.16433\")"));
        Assert.Equal(Outcome.Fail, One(catalog, Facts.Snapshot(Facts.Host("A", vms: [Facts.Vm("V", "6.2.9200.9999")]))).Outcome);
        Assert.Equal(Outcome.Pass, One(catalog, Facts.Snapshot(Facts.Host("A", vms: [Facts.Vm("V", "6.2.9200.16433\n")]))).Outcome);
    }

    [Fact]
    public void Equal_evidence_of_many_checks_is_kept_once_and_says_what_each_check_found()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-EV-001", "vm", "vm.Guest.IntegrationServicesVersion != \"0\"",
            expected: "\"at least \" + \"6.2\"", actual: "\"version \" + vm.Guest.IntegrationServicesVersion"));
        var vms = Enumerable.Range(0, 40).Select(i => Facts.Vm($"V{i:00}", i % 2 == 0 ? "6.2.9200.16433" : "6.3.9600.16384")).ToList();
        var verdicts = RuleSetText.Evaluate(catalog, Facts.Snapshot(Facts.Host("A", vms: vms))).Results;
        Assert.Equal(40, verdicts.Count);
        Assert.All(verdicts, v => Assert.Equal("at least 6.2", v.Expected));
        foreach (var v in verdicts)
        {
            var i = int.Parse(v.Entity.Key[^2..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(i % 2 == 0 ? "version 6.2.9200.16433" : "version 6.3.9600.16384", v.Actual);
        }
        // Each worker keeps one object per distinct text: at most one per worker, not one per check.
        var distinctObjects = verdicts.Select(v => v.Expected!).Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.InRange(distinctObjects, 1, Environment.ProcessorCount);
    }

    [Fact]
    public void Collector_error_makes_dependent_rules_error_never_pass()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-KB-001", "host", "host.Hotfixes.Count() >= 0"));
        var host = Facts.Host("A", collection: [.. Facts.With(FactFamilies.Hotfixes, CollectionState.Error, "access denied").Select(c => c.Collector == FactFamilies.Hotfixes ? c with { ErrorCode = 2 } : c)], hotfixes: []);
        var v = One(catalog, Facts.Snapshot(host));
        Assert.Equal(Outcome.Error, v.Outcome);
        Assert.Contains("'hotfixes' collection failed on A: access denied", v.Message, StringComparison.Ordinal);
        // The fix is for the collection (rights on the class), not the rule's own remediation.
        Assert.Contains(@"Give the collecting account the right to read root\cimv2 Win32_QuickFixEngineering on A", v.Remediation, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_carry_a_collection_fix_and_other_verdicts_none()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-LM-009", "host", "host.LiveMigration.Enabled"));
        var timeout = Facts.Host("T", collection: [.. Facts.With(FactFamilies.LiveMigration, CollectionState.Error, "operation timed out").Select(c => c.Collector == FactFamilies.LiveMigration ? c with { ErrorCode = 1001 } : c)]);
        var unreachable = Facts.Host("N", collection: [.. Facts.With(FactFamilies.LiveMigration, CollectionState.Error, "unreachable").Select(c => c.Collector == FactFamilies.LiveMigration ? c with { ErrorCode = 1002 } : c)]);
        var other = Facts.Host("O", collection: Facts.With(FactFamilies.LiveMigration, CollectionState.Error, "Invalid query"));
        var missing = Facts.Host("M", collection: [.. Facts.AllOk().Where(c => c.Collector != FactFamilies.LiveMigration)]) with { LiveMigration = new LiveMigrationFacts { Enabled = true } };
        var unsupported = Facts.Host("U", collection: Facts.With(FactFamilies.LiveMigration, CollectionState.Unsupported, "Hyper-V role not installed"));
        var fine = Facts.Host("F") with { LiveMigration = new LiveMigrationFacts { Enabled = true } };
        var results = RuleSetText.Evaluate(catalog, Facts.Snapshot(timeout, unreachable, other, missing, unsupported, fine)).Results.ToDictionary(v => v.Entity.Key);
        Assert.Contains("--operation-timeout", results["T"].Remediation, StringComparison.Ordinal);
        Assert.Contains("Test-WSMan N", results["N"].Remediation, StringComparison.Ordinal);
        Assert.Contains(@"Get-CimInstance -ComputerName O -Namespace root\virtualization\v2 -ClassName Msvm_VirtualSystemMigrationServiceSettingData", results["O"].Remediation, StringComparison.Ordinal);
        Assert.Contains("audit collect --hosts M", results["M"].Remediation, StringComparison.Ordinal);
        Assert.Equal((Outcome.NotApplicable, null), (results["U"].Outcome, results["U"].Remediation));
        Assert.Equal((Outcome.Pass, null), (results["F"].Outcome, results["F"].Remediation));

        var vms = RuleSetText.Compile(RuleSetText.Rule("T-VM-009", "vm", "vm.State == \"Running\""));
        var broken = Facts.Host("B", collection: Facts.With(FactFamilies.Vms, CollectionState.Error, "access denied"), vms: []);
        var blocked = One(vms, Facts.Snapshot(broken));
        Assert.Equal(("B/*", Outcome.Error), (blocked.Entity.Key, blocked.Outcome));
        Assert.Contains(@"root\virtualization\v2", blocked.Remediation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_that_cannot_tell_says_so_in_its_own_words()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-KB-009", "host", "decided == \"yes\"", let: new Dictionary<string, string> { ["decided"] = "Fn.Need(null, \"the data cannot decide\")" }));
        var v = One(catalog, Facts.Snapshot(Facts.Host("A")));
        Assert.Equal((Outcome.Error, "cannot tell: the data cannot decide"), (v.Outcome, v.Message));
    }

    [Fact]
    public void Dependencies_are_seen_through_functions_and_lambdas()
    {
        var viaFunction = RuleSetText.Compile(RuleSetText.Rule("T-KB-002", "cluster", "Fn.KbDifferences(cluster.Nodes).Count() == 0"));
        var nodes = new[]
        {
            Facts.Host("A", cluster: "C"),
            Facts.Host("B", cluster: "C", collection: Facts.With(FactFamilies.Hotfixes, CollectionState.Error, "timeout"), hotfixes: []),
        };
        var v = One(viaFunction, Facts.Snapshot(nodes));
        Assert.Equal(Outcome.Error, v.Outcome);
        Assert.Contains("timeout", v.Message, StringComparison.Ordinal);

        var viaLambda = RuleSetText.Compile(RuleSetText.Rule("T-KB-003", "cluster", "cluster.Nodes.All(n => n.Hotfixes.Count() > 0)"));
        Assert.Equal(Outcome.Error, One(viaLambda, Facts.Snapshot(nodes)).Outcome);
    }

    [Fact]
    public void Missing_collection_record_is_an_error()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-LM-001", "host", "host.LiveMigration.Enabled"));
        var host = Facts.Host("A", collection: [.. Facts.AllOk().Where(c => c.Collector != FactFamilies.LiveMigration)]) with { LiveMigration = new LiveMigrationFacts { Enabled = true } };
        var v = One(catalog, Facts.Snapshot(host));
        Assert.Equal(Outcome.Error, v.Outcome);
        Assert.Contains("no collection record", v.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_collector_makes_rule_not_applicable()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-LM-002", "host", "host.LiveMigration.Enabled"));
        var host = Facts.Host("DC", collection: Facts.With(FactFamilies.LiveMigration, CollectionState.Unsupported, "Hyper-V role not installed"));
        var v = One(catalog, Facts.Snapshot(host));
        Assert.Equal(Outcome.NotApplicable, v.Outcome);
        Assert.Contains("Hyper-V role not installed", v.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_fact_despite_ok_status_is_an_error_not_a_pass()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-NULL-001", "host", "!host.LiveMigration.Enabled"));
        var v = One(catalog, Facts.Snapshot(Facts.Host("A")));
        Assert.Equal(Outcome.Error, v.Outcome);
        Assert.Contains("missing (null)", v.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Function_exceptions_become_error_with_their_message()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-FN-001", "vm", "Fn.Ver(vm.Guest.IntegrationServicesVersion) > Fn.Ver(\"1.0\")"));
        var v = One(catalog, Facts.Snapshot(Facts.Host("A", vms: [Facts.Vm("V", "deprecated")])));
        Assert.Equal(Outcome.Error, v.Outcome);
        Assert.Contains("'deprecated' is not a version", v.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void When_false_is_not_applicable_and_lets_are_not_evaluated()
    {
        var rule = RuleSetText.Rule("T-WHEN-001", "vm", "Fn.Ver(v) >= Fn.Ver(\"1.0\")", when: "vm.State == \"Running\"",
            let: new Dictionary<string, string> { ["v"] = "vm.Guest.IntegrationServicesVersion" });
        rule["notApplicableMessage"] = "{entity} is off";
        var catalog = RuleSetText.Compile(rule);
        var v = One(catalog, Facts.Snapshot(Facts.Host("A", vms: [Facts.Vm("OFF", "", state: "Off")])));
        Assert.Equal(Outcome.NotApplicable, v.Outcome);
        Assert.Equal("A/OFF is off", v.Message);
    }

    [Fact]
    public void Evidence_is_recorded_for_pass_and_fail_and_fills_the_message()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-EV-001", "host", "host.Hotfixes.Count() >= 2", expected: "2", actual: "host.Hotfixes.Select(h => h.Id)"));
        var fail = One(catalog, Facts.Snapshot(Facts.Host("A")));
        Assert.Equal(Outcome.Fail, fail.Outcome);
        Assert.Equal(("2", "KB2770917"), (fail.Expected, fail.Actual));
        Assert.Equal("A failed: expected 2, actual KB2770917", fail.Message);
        var pass = One(catalog, Facts.Snapshot(Facts.Host("A", hotfixes: [new HotfixFacts { Id = "KB1" }, new HotfixFacts { Id = "KB2" }])));
        Assert.Equal((Outcome.Pass, "KB1, KB2"), (pass.Outcome, pass.Actual));
    }

    [Fact]
    public void Vm_rules_on_a_host_whose_vm_inventory_failed_give_one_error_for_that_host()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-VM-001", "vm", "vm.State == \"Running\""));
        var broken = Facts.Host("B", collection: Facts.With(FactFamilies.Vms, CollectionState.Error, "WinRM timeout"), vms: []);
        var results = RuleSetText.Evaluate(catalog, Facts.Snapshot(Facts.Host("A", vms: [Facts.Vm("V1", "1.0")]), broken));
        Assert.Equal(["A/V1", "B/*"], results.Results.Select(r => r.Entity.Key));
        Assert.Equal(Outcome.Error, results.Results[1].Outcome);
        Assert.Contains("WinRM timeout", results.Results[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_vm_names_get_distinct_entity_keys()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-VM-002", "vm", "true"));
        var results = RuleSetText.Evaluate(catalog, Facts.Snapshot(Facts.Host("A", vms: [Facts.Vm("DUP", "1.0"), Facts.Vm("DUP", "1.0")])));
        Assert.Equal(2, results.Results.Select(r => r.Entity).Distinct().Count());
    }

    [Fact]
    public void Host_pairs_cover_cluster_nodes_in_both_directions_only()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-PAIR-001", "hostPair", "Fn.MissingSpns(sourceAccount, target, new[] {\"cifs\"}).Count() == 0"));
        var snapshot = Facts.Snapshot(Facts.Host("A", cluster: "C"), Facts.Host("B", cluster: "C"), Facts.Host("S")) with
        {
            Directory = Facts.Directory(Facts.Computer("A", 4096, "cifs/B", "cifs/b.lab.test"), Facts.Computer("B", 4096, "CIFS/A")),
        };
        var results = RuleSetText.Evaluate(catalog, snapshot).Results;
        Assert.Equal(["A->B", "B->A"], results.Select(r => r.Entity.Key));
        Assert.Equal(Outcome.Pass, results[0].Outcome);
        Assert.Equal(Outcome.Fail, results[1].Outcome);
    }

    [Fact]
    public void Pair_rules_without_directory_facts_or_account_are_errors()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-PAIR-002", "hostPair", "sourceAccount.AllowedToDelegateTo.Count() > 0"));
        var noDirectory = Facts.Snapshot(Facts.Host("A", cluster: "C"), Facts.Host("B", cluster: "C"));
        Assert.All(RuleSetText.Evaluate(catalog, noDirectory).Results, v =>
        {
            Assert.Equal(Outcome.Error, v.Outcome);
            Assert.Contains("directory facts were not collected", v.Message, StringComparison.Ordinal);
        });
        var noAccount = noDirectory with { Directory = Facts.Directory(Facts.Computer("A", 4096, "cifs/B")) };
        var results = RuleSetText.Evaluate(catalog, noAccount).Results;
        Assert.Equal(Outcome.Pass, results[0].Outcome);
        Assert.Equal(Outcome.Error, results[1].Outcome);
        Assert.Equal("no computer account for B in the directory", results[1].Message);
    }

    [Fact]
    public void Computer_rules_without_directory_give_one_error()
    {
        var catalog = RuleSetText.Compile(RuleSetText.Rule("T-COMP-001", "computer", "!computer.Flags.TrustedForDelegation"));
        var v = One(catalog, Facts.Snapshot(Facts.Host("A")));
        Assert.Equal((Outcome.Error, "(directory)"), (v.Outcome, v.Entity.Key));
    }

    [Fact]
    public void Evaluation_is_deterministic_and_parallel_safe()
    {
        var catalog = RuleSetText.Compile(
            RuleSetText.Rule("T-DET-001", "vm", "Fn.Ver(vm.Guest.IntegrationServicesVersion) >= Fn.Ver(\"6.2.9200.16433\")", actual: "vm.Guest.IntegrationServicesVersion"),
            RuleSetText.Rule("T-DET-002", "host", "host.Vms.Count() > 3"));
        var hosts = Enumerable.Range(0, 40).Select(h => Facts.Host($"H{h:D2}", vms: [.. Enumerable.Range(0, 20).Select(v => Facts.Vm($"V{v}", v % 3 == 0 ? "6.2.9200.16384" : "6.2.9200.16433"))])).ToArray();
        var snapshot = Facts.Snapshot(hosts);
        var a = JsonSerializer.Serialize(RuleSetText.Evaluate(catalog, snapshot), AuditJson.Options);
        var b = JsonSerializer.Serialize(RuleSetText.Evaluate(catalog, snapshot), AuditJson.Options);
        Assert.Equal(a, b);
        var results = RuleSetText.Evaluate(catalog, snapshot);
        Assert.Equal(40 * 20 + 40, results.Summary.Total);
        Assert.Equal(40 * 7, results.Summary.ByOutcome.Fail);
    }

    [Fact]
    public void A_check_running_past_its_time_bound_is_an_error_and_the_run_goes_on()
    {
        // Allowed members only, but cubic in the number of hotfixes: 400^3 string concatenations take seconds.
        var slow = RuleSetText.Rule("T-SLOW-001", "host", "host.Hotfixes.Count(a => host.Hotfixes.Count(b => host.Hotfixes.Count(c => c.Id + b.Id == a.Id) > 0) > 0) == 0");
        var quick = RuleSetText.Rule("T-QUICK-001", "host", "host.Hotfixes.Count() > 0");
        var catalog = RuleSetText.Compile(slow, quick);
        var hotfixes = Enumerable.Range(0, 400).Select(i => new HotfixFacts { Id = "KB" + (3000000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToList();
        var snapshot = Facts.Snapshot(Facts.Host("A", hotfixes: hotfixes), Facts.Host("B", hotfixes: hotfixes[..1]), Facts.Host("C", hotfixes: hotfixes), Facts.Host("D", hotfixes: hotfixes));
        var results = Evaluator.Evaluate(catalog, snapshot, "", new EvaluationOptions { CheckTimeout = TimeSpan.FromMilliseconds(200) });
        var slowOnes = results.Results.Where(v => v.RuleId == "T-SLOW-001" && v.Entity.Key != "B").ToList();
        Assert.All(slowOnes, v => Assert.Equal(Outcome.Error, v.Outcome));
        Assert.Contains(slowOnes, v => v.Message.Contains("took longer than the time bound of 0.2 s", StringComparison.Ordinal));
        // Once the rule has run away, its checks still waiting are not started at all (one bound, not one per entity).
        Assert.All(slowOnes, v => Assert.True(v.Message.Contains("took longer", StringComparison.Ordinal) || v.Message.StartsWith("not evaluated: T-SLOW-001 already ran past the time bound", StringComparison.Ordinal), v.Message));
        // Every other check got its verdict; the tiny host's slow rule finished in time.
        Assert.Equal(Outcome.Pass, results.Results.Single(v => v.RuleId == "T-SLOW-001" && v.Entity.Key == "B").Outcome);
        Assert.All(results.Results.Where(v => v.RuleId == "T-QUICK-001"), v => Assert.Equal(Outcome.Pass, v.Outcome));
        Assert.Equal(8, results.Results.Count);
    }
}
