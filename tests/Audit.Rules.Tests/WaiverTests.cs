using System.Text;
using System.Text.Json.Nodes;
using Audit.Core;
using Audit.Rules.Compilation;
using Audit.Rules.Waivers;
using Audit.Core.Loading;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Rules.Tests;

/// <summary>The waiver lifecycle: valid, expiring soon, expired, unmatched, and wrong files rejected with positions.</summary>
public class WaiverTests
{
    private static readonly DateOnly Today = new(2026, 11, 24);

    private static readonly Lazy<RuleCatalog> Catalog = new(() => RuleSetText.Compile(RuleSetText.Set(
    [
        RuleSetText.Rule("T-HOST-001", "host", "host.Hotfixes.Count() >= 2", expected: "2", actual: "host.Hotfixes.Count()"),
        RuleSetText.Rule("T-VM-001", "vm", "Fn.Ver(vm.Guest.IntegrationServicesVersion) >= Fn.Ver(\"6.2.9200.16433\")", severity: "medium"),
        RuleSetText.Rule("T-LOW-001", "host", "host.Hotfixes.Count() >= 3", severity: "low"),
    ])));

    /// <summary>A fails T-HOST-001 (one hotfix), B passes (two), C is an error (hotfix collection failed); A/OLD fails T-VM-001, A/NEW passes.</summary>
    private static ResultsDocument Evaluate()
    {
        var a = Facts.Host("A", vms: [Facts.Vm("OLD", "6.2.9200.16384"), Facts.Vm("NEW", "6.2.9200.16433")]);
        var b = Facts.Host("B", hotfixes: [new HotfixFacts { Id = "KB1" }, new HotfixFacts { Id = "KB2" }]);
        var c = Facts.Host("C", collection: Facts.With(FactFamilies.Hotfixes, CollectionState.Error, "access denied"), hotfixes: []);
        return RuleSetText.Evaluate(Catalog.Value, Facts.Snapshot(a, b, c));
    }

    private static JsonObject Waiver(string rule, string entity, string expires = "2027-01-31", params string[] severities)
    {
        var w = new JsonObject
        {
            ["rule"] = rule,
            ["entity"] = entity,
            ["justification"] = "accepted by the CAB",
            ["owner"] = "ops@lab.test",
            ["ticket"] = "CHG-1",
            ["expires"] = expires,
        };
        if (severities.Length > 0)
        {
            w["severities"] = new JsonArray([.. severities.Select(s => (JsonNode)s)]);
        }
        return w;
    }

    private static string File(params JsonObject[] waivers) =>
        new JsonObject { ["waivers"] = new JsonArray([.. waivers]) }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    private static WaiverSet Load(string text) => WaiversLoader.Parse(Encoding.UTF8.GetBytes(text), "waivers.json", Catalog.Value.Infos);

    /// <summary>Waivers applied to the evaluation, then the document finished (so its summary counts the waived checks).</summary>
    private static (ResultsDocument Results, IReadOnlyList<Diagnostic> Warnings) Apply(string text, DateOnly? today = null, int warnDays = 14)
    {
        var applied = WaiverApplier.Apply(Evaluate().ToDraft(), Load(text), today ?? Today, warnDays);
        return (applied.Results.Finish(), applied.Warnings);
    }

    private static Verdict Find(ResultsDocument r, string rule, string entity) => r.Results.Single(v => v.RuleId == rule && v.Entity.Key == entity);

    [Fact]
    public void Valid_waiver_turns_the_failure_into_waived_keeping_its_evidence_and_the_exit_code_ignores_it()
    {
        var before = Evaluate();
        var original = Find(before, "T-HOST-001", "A");
        Assert.Equal(Outcome.Fail, original.Outcome);
        Assert.Equal(ExitCodes.Failed, before.Summary.ExitCode);

        var app = Apply(File(Waiver("T-HOST-001", "A"), Waiver("T-VM-001", "A/OLD"), Waiver("T-LOW-001", "*")));
        var v = Find(app.Results, "T-HOST-001", "A");
        Assert.Equal(Outcome.Waived, v.Outcome);
        Assert.Equal((original.Message, original.Expected, original.Actual), (v.Message, v.Expected, v.Actual));
        Assert.Equal(new WaiverRef { Rule = "T-HOST-001", Entity = "A", Justification = "accepted by the CAB", Owner = "ops@lab.test", Ticket = "CHG-1", Expires = new DateOnly(2027, 1, 31), Expired = false }, v.Waiver);
        // Passing and erroring checks are never waived.
        Assert.Equal(Outcome.Pass, Find(app.Results, "T-HOST-001", "B").Outcome);
        Assert.Equal(Outcome.Error, Find(app.Results, "T-HOST-001", "C").Outcome);
        Assert.Null(Find(app.Results, "T-HOST-001", "C").Waiver);
        // Counts include waived; the remaining error decides the exit code (2), the waived failures do not (1).
        Assert.Equal(before.Summary.ByOutcome.Fail, app.Results.Summary.ByOutcome.Fail + app.Results.Summary.ByOutcome.Waived);
        Assert.Equal(0, app.Results.Summary.ByOutcome.Fail);
        Assert.Equal(ExitCodes.Incomplete, app.Results.Summary.ExitCode);
        Assert.Equal(app.Results.Summary.ByOutcome.Waived, app.Results.Waivers!.Waived);
        Assert.Equal(3, app.Results.Run.Waivers!.Count);
        Assert.Equal(64, app.Results.Run.Waivers.Sha256.Length);
        Assert.Empty(app.Warnings);
    }

    [Fact]
    public void Waiver_applies_through_its_expiry_day_and_not_after()
    {
        var text = File(Waiver("T-HOST-001", "A", expires: "2026-11-24"));
        var lastDay = Apply(text, today: new DateOnly(2026, 11, 24));
        Assert.Equal(Outcome.Waived, Find(lastDay.Results, "T-HOST-001", "A").Outcome);
        Assert.Contains(lastDay.Warnings, d => d.Code == DiagnosticCodes.WaiverExpiringSoon && d.Message.Contains("today", StringComparison.Ordinal));

        var dayAfter = Apply(text, today: new DateOnly(2026, 11, 25));
        var v = Find(dayAfter.Results, "T-HOST-001", "A");
        Assert.Equal(Outcome.Fail, v.Outcome);
        Assert.True(v.Waiver!.Expired);
        Assert.Equal(new DateOnly(2026, 11, 24), v.Waiver.Expires);
        Assert.Equal(ExitCodes.Failed, dayAfter.Results.Summary.ExitCode);
        var expired = Assert.Single(dayAfter.Results.Waivers!.Expired);
        Assert.Equal((0, -1, 1), (expired.Index, expired.DaysLeft, expired.Matched));
        var warning = Assert.Single(dayAfter.Warnings);
        Assert.Equal(DiagnosticCodes.WaiverExpired, warning.Code);
        Assert.Equal(DiagnosticLevel.Warning, warning.Level);
        Assert.Contains("expired on 2026-11-24", warning.Message, StringComparison.Ordinal);
        Assert.Equal(("waivers.json", 3), (warning.File, warning.Line));
    }

    [Fact]
    public void An_unexpired_waiver_wins_over_an_expired_one_for_the_same_check()
    {
        var app = Apply(File(Waiver("T-HOST-001", "A", expires: "2026-01-01"), Waiver("T-HOST-001", "*", expires: "2027-01-01")));
        var v = Find(app.Results, "T-HOST-001", "A");
        Assert.Equal(Outcome.Waived, v.Outcome);
        Assert.Equal("*", v.Waiver!.Entity);
    }

    [Theory]
    [InlineData(14, "2026-12-08", true)]
    [InlineData(14, "2026-12-09", false)]
    [InlineData(0, "2026-11-25", false)]
    [InlineData(30, "2026-12-09", true)]
    public void Waivers_expiring_within_the_warning_window_are_listed(int warnDays, string expires, bool listed)
    {
        var app = Apply(File(Waiver("T-HOST-001", "A", expires: expires)), warnDays: warnDays);
        Assert.Equal(Outcome.Waived, Find(app.Results, "T-HOST-001", "A").Outcome);
        Assert.Equal(listed, app.Results.Waivers!.ExpiringSoon.Count == 1);
        Assert.Equal(listed, app.Warnings.Any(d => d.Code == DiagnosticCodes.WaiverExpiringSoon));
        Assert.Equal(warnDays, app.Results.Waivers.WarnDays);
    }

    [Fact]
    public void Waivers_matching_nothing_or_only_passing_checks_are_reported_as_stale()
    {
        var app = Apply(File(Waiver("T-HOST-001", "GONE*"), Waiver("T-HOST-001", "B"), Waiver("T-HOST-001", "A")));
        var unmatched = app.Results.Waivers!.Unmatched;
        Assert.Equal([0, 1], unmatched.Select(u => u.Index));
        Assert.Equal("matches no check in this run", unmatched[0].Reason);
        Assert.Equal("matches 1 check, none failing", unmatched[1].Reason);
        Assert.Equal(2, app.Warnings.Count(d => d.Code == DiagnosticCodes.WaiverUnmatched));
        Assert.Equal(Outcome.Waived, Find(app.Results, "T-HOST-001", "A").Outcome);
    }

    [Fact]
    public void Severity_filter_limits_a_waiver_to_those_severities()
    {
        var app = Apply(File(Waiver("T-*", "A", "2027-01-31", "low")));
        Assert.Equal(Outcome.Fail, Find(app.Results, "T-HOST-001", "A").Outcome);
        Assert.Equal(Outcome.Waived, Find(app.Results, "T-LOW-001", "A").Outcome);
    }

    [Fact]
    public void Wildcards_match_within_one_part_of_the_entity_key()
    {
        var app = Apply(File(Waiver("T-VM-*", "a/o*"), Waiver("T-HOST-001", "*")));
        Assert.Equal(Outcome.Waived, Find(app.Results, "T-VM-001", "A/OLD").Outcome);
        // HOST/* names VMs, never the host itself.
        Assert.True(new[] { EntityId.Vm("A", "OLD"), EntityId.Parse("A/x y [1]", Scope.Vm) }.All(EntityPattern.Parse("A/*", out _)!.IsMatch));
        Assert.False(EntityPattern.Parse("A/*", out _)!.IsMatch(EntityId.Host("A")));
        Assert.False(EntityPattern.Parse("A*", out _)!.IsMatch(EntityId.Vm("A", "OLD")));
        Assert.False(EntityPattern.Parse("A*", out _)!.IsMatch(EntityId.Pair("A", "B")));
        Assert.True(EntityPattern.Parse("*->B", out _)!.IsMatch(EntityId.Pair("ZULU", "b")));
        Assert.False(EntityPattern.Parse("*->B", out _)!.IsMatch(EntityId.Pair("B", "ZULU")));
    }

    [Theory]
    [InlineData("T-HOST-001", "A\\\\OLD", "entity", "host or account name 'A\\OLD' contains '\\' ", "a VM is written HOST/VM")]
    [InlineData("T-HOST-001", "A->B->C", "entity", "more than one '->'", null)]
    [InlineData("T-VM-001", "A/", "entity", "names no VM after '/'", null)]
    [InlineData("T-VM-001", "/OLD", "entity", "empty host name", null)]
    [InlineData("T-VM-001", "A", "entity", "can never match rule T-VM-001", "write HOST/VM or HOST/*")]
    [InlineData("T-HOST-001", "A/OLD", "entity", "can never match rule T-HOST-001", "write the host name")]
    [InlineData("T-HOST-001", " A", "entity", "leading/trailing spaces", null)]
    [InlineData("T-HOST-999", "A", "rule", "no loaded rule has the id 'T-HOST-999'", "rules of T-HOST: T-HOST-001")]
    [InlineData("T-HOST 001", "A", "rule", "contains ' '", null)]
    public void Wrong_patterns_are_rejected_with_file_line_and_a_clear_message(string rule, string entity, string field, string message, string? hint)
    {
        var text = File(Waiver("T-HOST-001", "A"), Waiver(rule, entity.Replace("\\\\", "\\", StringComparison.Ordinal)));
        var e = Assert.Throws<InputException>(() => Load(text));
        var d = Assert.Single(e.Diagnostics);
        Assert.Equal(DiagnosticCodes.InvalidWaiver, d.Code);
        Assert.Equal("waivers.json", d.File);
        var expectedLine = text.Split('\n').Select((l, i) => (l, i)).Where(x => x.l.Contains($"\"{field}\"", StringComparison.Ordinal)).ElementAt(1).i + 1;
        Assert.Equal(expectedLine, d.Line);
        Assert.Contains($"waivers[1].{field}", d.Message, StringComparison.Ordinal);
        Assert.Contains(message.TrimEnd(), d.Message, StringComparison.Ordinal);
        if (hint is not null)
        {
            Assert.Contains(hint, d.Message, StringComparison.Ordinal);
        }
        Assert.StartsWith($"waivers.json({expectedLine},", d.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Impossible_dates_missing_fields_and_unknown_severities_are_rejected()
    {
        var badDate = Assert.Throws<InputException>(() => Load(File(Waiver("T-HOST-001", "A", expires: "2027-02-30"))));
        Assert.Contains("'2027-02-30' is not a calendar date", Assert.Single(badDate.Diagnostics).Message, StringComparison.Ordinal);

        var noOwner = Waiver("T-HOST-001", "A");
        noOwner.Remove("owner");
        var missing = Assert.Throws<InputException>(() => Load(File(noOwner)));
        Assert.Contains(missing.Diagnostics, d => d.Code == DiagnosticCodes.SchemaViolation && d.Message.Contains("'owner'", StringComparison.Ordinal) && d.Line > 0);

        var severity = Assert.Throws<InputException>(() => Load(File(Waiver("T-HOST-001", "A", "2027-01-31", "urgent"))));
        Assert.Contains(severity.Diagnostics, d => d.Code == DiagnosticCodes.SchemaViolation && d.Line > 0);

        var noneOfThatSeverity = Assert.Throws<InputException>(() => Load(File(Waiver("T-HOST-001", "A", "2027-01-31", "critical"))));
        Assert.Contains("no rule matching 'T-HOST-001' has severity critical", Assert.Single(noneOfThatSeverity.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_in_a_file_is_reported_at_once()
    {
        var e = Assert.Throws<InputException>(() => Load(File(Waiver("T-NOPE-001", "A"), Waiver("T-VM-001", "A"), Waiver("T-HOST-001", "A", expires: "2026-13-01"))));
        Assert.Equal(3, e.Diagnostics.Count);
        Assert.Equal(e.Diagnostics.OrderBy(d => d.Line).Select(d => d.Line), e.Diagnostics.Select(d => d.Line));
    }

    [Fact]
    public void Sample_waivers_file_is_valid_against_the_shipped_rules()
    {
        var rules = RuleSetLoader.Load([Audit.Tests.Common.RepoPaths.Rules]);
        Assert.True(rules.Succeeded);
        var set = WaiversLoader.Load(Path.Combine(Audit.Tests.Common.RepoPaths.Samples, "waivers.json"), rules.Catalog!.Infos);
        Assert.Equal(4, set.Waivers.Count);
    }
}

public class WaiverSchemaTests
{
    [Fact]
    public void Waivers_schema_and_model_are_in_step()
    {
        var problems = Audit.Tests.Common.SchemaModelSync.Differences(typeof(WaiversDocument), System.IO.File.ReadAllText(Path.Combine(Audit.Tests.Common.RepoPaths.Schema, "waivers.v1.schema.json")));
        Assert.Empty(problems);
    }

    [Fact]
    public void Waivers_schema_is_embedded()
    {
        Assert.Contains(WaiversLoader.SchemaName, JsonFileLoader.EmbeddedSchemaNames());
    }
}
