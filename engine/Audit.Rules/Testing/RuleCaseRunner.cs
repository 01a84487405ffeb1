using System.Text;
using System.Text.Json.Nodes;
using Audit.Core;
using Audit.Rules.Compilation;
using Audit.Rules.Evaluation;
using Audit.Core.Loading;
using Audit.Core.Snapshots;

namespace Audit.Rules.Testing;

/// <summary>How a case ended: its expectation held, did not hold, or the case could not be run as written.</summary>
public enum RuleCaseStatus
{
    Passed,
    Failed,
    Invalid,
}

/// <summary>One case's result: what the rule said (outcome, message) and, when it did not match, why.</summary>
public sealed record RuleCaseResult(LoadedRuleCase Case, RuleCaseStatus Status, string? Outcome, string? Message, string? Problem);

/// <summary>Every case's result, in the order of the files and cases, with the per-rule counts.</summary>
public sealed record RuleCaseReport(IReadOnlyList<RuleCaseResult> Results)
{
    public int Passed => Results.Count(r => r.Status == RuleCaseStatus.Passed);
    public int Failed => Results.Count(r => r.Status == RuleCaseStatus.Failed);
    public int Invalid => Results.Count(r => r.Status == RuleCaseStatus.Invalid);

    /// <summary>Per rule id (ordinal order): cases, passed, failed, invalid.</summary>
    public IReadOnlyList<(string Rule, int Cases, int Passed, int Failed, int Invalid)> ByRule =>
        [.. Results.GroupBy(r => r.Case.Case.Rule, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Count(), g.Count(r => r.Status == RuleCaseStatus.Passed), g.Count(r => r.Status == RuleCaseStatus.Failed), g.Count(r => r.Status == RuleCaseStatus.Invalid)))];

    /// <summary>Invalid cases as positioned diagnostics (AUD0060).</summary>
    public IReadOnlyList<Diagnostic> Diagnostics =>
        [.. Results.Where(r => r.Status == RuleCaseStatus.Invalid)
            .Select(r => new Diagnostic(DiagnosticCodes.InvalidRuleCase, DiagnosticLevel.Error, $"case '{r.Case.Case.Name}': {r.Problem}", r.Case.File, r.Case.Line, r.Case.Column, r.Case.Case.Rule))];
}

/// <summary>
/// Runs rule cases: for each, a copy of its base snapshot is edited, checked against the snapshot schema (a case cannot
/// drift from the contract), evaluated with the one rule under test (its rule set recompiled with the case's parameter
/// overrides, if any) and the verdict for the case's entity compared with the expected outcome and message text.
/// </summary>
public sealed class RuleCaseRunner(IReadOnlyList<string> rulePaths, RuleCatalog catalog)
{
    private readonly Dictionary<string, JsonNode?> _bases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RuleLoadResult> _withParams = new(StringComparer.Ordinal);

    public RuleCaseReport Run(IEnumerable<LoadedRuleCase> cases, CancellationToken cancel = default)
    {
        var results = new List<RuleCaseResult>();
        foreach (var c in cases)
        {
            cancel.ThrowIfCancellationRequested();
            results.Add(RunOne(c));
        }
        return new RuleCaseReport(results);
    }

    public RuleCaseResult RunOne(LoadedRuleCase loaded)
    {
        var c = loaded.Case;
        RuleCaseResult Invalid(string problem) => new(loaded, RuleCaseStatus.Invalid, null, null, problem);

        var rules = catalog;
        if (c.Params is { Count: > 0 } overrides)
        {
            var key = string.Join("\n", overrides.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));
            if (!_withParams.TryGetValue(key, out var reloaded))
            {
                _withParams[key] = reloaded = RuleSetLoader.Load(rulePaths, new RuleLoadOptions { ParameterOverrides = overrides, OverrideSource = "case params" });
            }
            if (reloaded.Catalog is null)
            {
                return Invalid("its params do not compile: " + string.Join("; ", reloaded.Diagnostics.Where(d => d.Level == DiagnosticLevel.Error).Select(d => d.Message)));
            }
            rules = reloaded.Catalog;
        }
        if (!rules.Rules.Any(r => r.Id == c.Rule))
        {
            return Invalid($"no rule {c.Rule} in the rule sets given");
        }

        if (!_bases.TryGetValue(loaded.BasePath, out var baseDoc))
        {
            try
            {
                baseDoc = JsonNode.Parse(SnapshotLoader.Load(loaded.BasePath).Utf8);
            }
            catch (InputException e)
            {
                _bases[loaded.BasePath] = null;
                return Invalid($"base snapshot {loaded.BasePath} does not load: {(e.Diagnostics.Count > 0 ? e.Diagnostics[0] : null)}");
            }
            _bases[loaded.BasePath] = baseDoc;
        }
        if (baseDoc is null)
        {
            return Invalid($"base snapshot {loaded.BasePath} does not load");
        }

        var doc = baseDoc.DeepClone();
        try
        {
            foreach (var (path, value) in c.Set ?? new Dictionary<string, System.Text.Json.JsonElement>())
            {
                SnapshotPatch.Set(doc, path, JsonNode.Parse(value.GetRawText()));
            }
            foreach (var (path, value) in c.Append ?? new Dictionary<string, System.Text.Json.JsonElement>())
            {
                SnapshotPatch.Append(doc, path, JsonNode.Parse(value.GetRawText())!);
            }
        }
        catch (SnapshotPatchException e)
        {
            return Invalid("edit " + e.Message);
        }

        LoadedJson<Snapshot> snapshot;
        try
        {
            snapshot = SnapshotLoader.Parse(Encoding.UTF8.GetBytes(doc.ToJsonString()), $"{c.Rule} case snapshot");
        }
        catch (InputException e)
        {
            return Invalid("the edited snapshot breaks the snapshot schema: " + string.Join("; ", e.Diagnostics.Take(3).Select(d => d.Message)));
        }

        var results = Evaluator.Evaluate(rules.Select(r => r.Id == c.Rule), snapshot, new EvaluationOptions { RecordTimings = false });
        var verdict = results.Results.FirstOrDefault(v => v.Entity.Key == c.Entity);
        if (verdict is null)
        {
            var entities = results.Results.Select(v => v.Entity.Key).Take(20).ToList();
            return new(loaded, RuleCaseStatus.Failed, null, null, $"no verdict for {c.Entity}; the rule judged: {string.Join(", ", entities)}{(results.Results.Count > 20 ? ", ..." : "")}");
        }
        var got = verdict.Outcome.Name();
        if (got != c.Outcome)
        {
            return new(loaded, RuleCaseStatus.Failed, got, verdict.Message, $"expected {c.Outcome}, got {got}");
        }
        if (c.MessageContains is { } text && !verdict.Message.Contains(text, StringComparison.Ordinal))
        {
            return new(loaded, RuleCaseStatus.Failed, got, verdict.Message, $"message does not contain \"{text}\"");
        }
        return new(loaded, RuleCaseStatus.Passed, got, verdict.Message, null);
    }
}
