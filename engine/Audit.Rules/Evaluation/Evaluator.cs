using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Audit.Rules.Compilation;
using Audit.Core.Loading;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Rules.Evaluation;

public sealed record EvaluationOptions
{
    public Severity FailOn { get; init; } = Severity.High;
    public string ToolVersion { get; init; } = "";
    /// <summary>The commit the tool was built from; null when the build had no git metadata.</summary>
    public string? ToolCommit { get; init; }
    /// <summary>Display path of the snapshot recorded in the results.</summary>
    public string? SnapshotPath { get; init; }
    /// <summary>Wall clock for run start/end (tests and SOURCE_DATE_EPOCH pin it).</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;
    /// <summary>Record per-rule timings (off for byte-identical golden output).</summary>
    public bool RecordTimings { get; init; } = true;
    /// <summary>Time bound of one check (one rule on one entity): a check still running after it is an error verdict and is abandoned.</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Stops the evaluation (Ctrl+C, SIGTERM): no further check starts, and Evaluate throws OperationCanceledException.</summary>
    public CancellationToken Cancel { get; init; }
    /// <summary>Told (checks done, checks in all) about every 100 ms while checks run, and once when all are done; on the calling thread.</summary>
    public Action<int, int>? Progress { get; init; }
}

/// <summary>Evaluates compiled rules against a snapshot: one verdict per (rule, entity), with evidence, fail-closed.</summary>
public static class Evaluator
{
    /// <summary>Evaluation alone, finished (no waivers, no drift): for libraries and tests. A run goes through the pipeline.</summary>
    public static ResultsDocument Evaluate(RuleCatalog catalog, LoadedJson<Snapshot> snapshot, EvaluationOptions? options = null)
        => Draft(catalog, snapshot.Value, snapshot.Sha256, options).Finish();

    /// <inheritdoc cref="Evaluate(RuleCatalog, LoadedJson{Snapshot}, EvaluationOptions?)"/>
    public static ResultsDocument Evaluate(RuleCatalog catalog, Snapshot snapshot, string snapshotSha256, EvaluationOptions? options = null)
        => Draft(catalog, snapshot, snapshotSha256, options).Finish();

    /// <summary>Every verdict of the catalogue's rules on the snapshot, with the run's provenance; waivers, drift and the summary come later.</summary>
    public static ResultsDraft Draft(RuleCatalog catalog, Snapshot snapshot, string snapshotSha256, EvaluationOptions? options = null)
    {
        options ??= new EvaluationOptions();
        var started = options.Clock();
        var expander = new EntityExpander(snapshot);
        var rules = catalog.Rules;
        var work = new List<(int Rule, Entity Entity)>();
        for (var r = 0; r < rules.Count; r++)
        {
            foreach (var e in expander.For(rules[r].Scope, rules[r].RuleSet))
            {
                work.Add((r, e));
            }
        }
        var verdicts = EvaluateAll(rules, work, snapshot.CollectedAt, options, out var ticks);
        var finished = options.Clock();
        var parameters = new SortedDictionary<string, System.Text.Json.JsonElement>(StringComparer.Ordinal);
        foreach (var set in catalog.RuleSets)
        {
            foreach (var (name, value) in set.EffectiveParameters)
            {
                parameters[$"{set.Document.Id}.{name}"] = value;
            }
        }
        return new ResultsDraft
        {
            Run = new RunInfo
            {
                ToolVersion = options.ToolVersion,
                ToolCommit = options.ToolCommit,
                StartedAt = started,
                FinishedAt = finished,
                FailOn = options.FailOn,
                Snapshot = new SnapshotRef
                {
                    Path = options.SnapshotPath,
                    Sha256 = snapshotSha256,
                    CollectedAt = snapshot.CollectedAt,
                    Complete = snapshot.Complete,
                    Hosts = snapshot.Hosts.Count,
                    Clusters = ClusterNodes(snapshot),
                },
                RuleSets = [.. catalog.RuleSets.Select(s => s.Ref)],
                RuleTimingsMs = options.RecordTimings
                    ? rules.Select((r, i) => (r.Id, Ms: Math.Round(Stopwatch.GetElapsedTime(0, ticks[i]).TotalMilliseconds, 3))).ToDictionary(x => x.Id, x => x.Ms)
                    : new Dictionary<string, double>(),
            },
            Parameters = parameters,
            Rules = catalog.Infos,
            Results = verdicts,
        };
    }

    /// <summary>Cluster name -> its nodes, grouped as cluster-scope rules group them (names case-insensitive, first spelling kept).</summary>
    private static SortedDictionary<string, IReadOnlyList<string>> ClusterNodes(Snapshot snapshot) =>
        new(snapshot.Hosts.Where(h => !string.IsNullOrWhiteSpace(h.Cluster)).GroupBy(h => h.Cluster!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(h => h.Name).Order(StringComparer.OrdinalIgnoreCase)], StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>
    /// Evaluates every (rule, entity) on worker threads taking one check at a time. A watchdog gives each check a time
    /// bound: a check still running after <see cref="EvaluationOptions.CheckTimeout"/> gets an error verdict, its worker is
    /// abandoned (a .NET thread cannot be stopped) and replaced, so one runaway expression costs its time bound and one
    /// thread, never the run. Rule expressions are allow-listed at load, so this is the second line of defence.
    /// </summary>
    private static Verdict[] EvaluateAll(IReadOnlyList<CompiledRule> rules, List<(int Rule, Entity Entity)> work, DateTimeOffset collectedAt, EvaluationOptions options, out long[] ticks)
    {
        var count = work.Count;
        var verdicts = new Verdict?[count];
        var startedAt = new long[count];
        var next = -1;
        var filled = 0;
        using var allDone = new ManualResetEventSlim(count == 0);
        var workerTicks = new System.Collections.Concurrent.ConcurrentQueue<long[]>();
        // Once a rule has run past the bound, its remaining checks are errors at once: a runaway rule costs one time
        // bound and one abandoned thread per worker that met it, not one per entity.
        var timedOutOn = new string?[rules.Count];

        void Fill(int i, Verdict v)
        {
            if (Interlocked.CompareExchange(ref verdicts[i], v, null) is null && Interlocked.Increment(ref filled) == count)
            {
                allDone.Set();
            }
        }

        void Worker()
        {
            var local = new long[rules.Count];
            var evidence = new EvidenceTexts();
            workerTicks.Enqueue(local);
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= count || options.Cancel.IsCancellationRequested)
                {
                    return;
                }
                var (r, e) = work[i];
                var t0 = Stopwatch.GetTimestamp();
                Volatile.Write(ref startedAt[i], t0);
                Verdict v;
                if (Volatile.Read(ref timedOutOn[r]) is { } first)
                {
                    Fill(i, Make(rules[r], e, Outcome.Error,
                        string.Create(CultureInfo.InvariantCulture, $"not evaluated: {rules[r].Id} already ran past the time bound of {options.CheckTimeout.TotalSeconds:0.###} s on {first}"), null, null));
                    continue;
                }
                try
                {
                    v = EvaluateOne(rules[r], e, collectedAt, evidence);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    v = Make(rules[r], e, Outcome.Error, $"internal error evaluating this check: {ex.GetType().Name}: {ex.Message}", null, null);
                }
                local[r] += Stopwatch.GetTimestamp() - t0;
                Fill(i, v);
            }
        }

        void StartWorker() => new Thread(Worker) { IsBackground = true, Name = "audit-evaluator" }.Start();

        for (var w = 0; w < Math.Max(1, Math.Min(options.MaxDegreeOfParallelism, count)); w++)
        {
            StartWorker();
        }
        var limit = (long)(options.CheckTimeout.TotalSeconds * Stopwatch.Frequency);
        var low = 0;
        while (!allDone.Wait(TimeSpan.FromMilliseconds(100)))
        {
            options.Cancel.ThrowIfCancellationRequested();
            var now = Stopwatch.GetTimestamp();
            var claimed = Math.Min(Volatile.Read(ref next) + 1, count);
            for (var i = low; i < claimed; i++)
            {
                if (Volatile.Read(ref verdicts[i]) is not null)
                {
                    if (i == low)
                    {
                        low++;
                    }
                    continue;
                }
                var t = Volatile.Read(ref startedAt[i]);
                if (t != 0 && now - t > limit)
                {
                    var (r, e) = work[i];
                    Interlocked.CompareExchange(ref timedOutOn[r], e.Id.Key, null);
                    Fill(i, Make(rules[r], e, Outcome.Error,
                        string.Create(CultureInfo.InvariantCulture, $"evaluating {rules[r].Id} for {e.Id.Key} took longer than the time bound of {options.CheckTimeout.TotalSeconds:0.###} s; the check was abandoned (simplify the rule's expressions or raise --check-timeout)"),
                        null, null));
                    StartWorker();
                }
            }
            options.Progress?.Invoke(Volatile.Read(ref filled), count);
        }
        options.Progress?.Invoke(count, count);
        ticks = new long[rules.Count];
        foreach (var local in workerTicks)
        {
            for (var r = 0; r < local.Length; r++)
            {
                ticks[r] += Volatile.Read(ref local[r]);
            }
        }
        return verdicts!;
    }

    internal static Verdict EvaluateOne(CompiledRule rule, Entity entity, DateTimeOffset collectedAt, EvidenceTexts evidence)
    {
        EvaluationBudget.Reset();
        if (entity.Blocked is { } blocked)
        {
            return Make(rule, entity, blocked.Outcome, blocked.Message, null, null, blocked.Remediation);
        }
        if (CheckFacts(rule, rule.ApplicabilityDependencies, entity) is { } early)
        {
            return Make(rule, entity, early.Outcome, early.Message, null, null, early.Remediation);
        }

        var n = rule.Inputs.Count;
        var values = new object?[n + rule.Lets.Count];
        for (var i = 0; i < n; i++)
        {
            var name = rule.Inputs[i].Name;
            values[i] = name switch
            {
                ScopeInputs.Params => rule.RuleSet.ParamsValue,
                ScopeInputs.Lookups => rule.RuleSet.LookupsValue,
                ScopeInputs.CollectedAt => collectedAt,
                _ => entity.Values.GetValueOrDefault(name),
            };
        }
        // Applicability sees the inputs only: its delegates read the first n slots by position (the let slots are still empty).
        for (var p = 0; p < rule.PreconditionTests.Count; p++)
        {
            bool holds;
            try
            {
                holds = rule.PreconditionTests[p](values!);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return Make(rule, entity, Outcome.Error, $"could not evaluate applicability: {Explain(e)}", null, null);
            }
            if (!holds)
            {
                return Make(rule, entity, Outcome.NotApplicable, rule.Messages[3 + p]!.Fill(rule, entity, null, null, values), null, null);
            }
        }

        if (rule.WhenTest is not null)
        {
            bool applies;
            try
            {
                applies = rule.WhenTest(values!);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return Make(rule, entity, Outcome.Error, $"could not evaluate applicability: {Explain(e)}", null, null);
            }
            if (!applies)
            {
                var msg = rule.Messages[2] is { } na ? na.Fill(rule, entity, null, null, values) : "not applicable";
                return Make(rule, entity, Outcome.NotApplicable, msg, null, null);
            }
        }

        if (CheckFacts(rule, rule.Dependencies, entity) is { } missing)
        {
            return Make(rule, entity, missing.Outcome, missing.Message, null, null, missing.Remediation);
        }

        for (var i = 0; i < rule.Lets.Count; i++)
        {
            try
            {
                values[n + i] = rule.Lets[i].Evaluate(values!);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A rule's own "cannot tell" (Fn.Need, FactException) says why in its words; anything else names the let.
                return Unwrap(e) is FactException f
                    ? Make(rule, entity, Outcome.Error, $"cannot tell: {f.Message}", null, null, f.HowToTell)
                    : Make(rule, entity, Outcome.Error, $"could not evaluate '{rule.Lets[i].Name}': {Explain(e)}", null, null);
            }
        }

        bool passed;
        string? failure = null;
        try
        {
            passed = rule.AssertTest(values!);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            passed = false;
            failure = Explain(e);
        }
        var expected = evidence.Share(Evidence(rule.Expected, values));
        var actual = evidence.Share(Evidence(rule.Actual, values));
        if (failure is not null)
        {
            return Make(rule, entity, Outcome.Error, $"could not evaluate: {failure}", expected, actual);
        }
        if (passed)
        {
            var msg = rule.Messages[1] is { } pm ? pm.Fill(rule, entity, expected, actual, values) : $"{rule.Definition.Title}: compliant";
            return Make(rule, entity, Outcome.Pass, msg, expected, actual);
        }
        return Make(rule, entity, Outcome.Fail, rule.Messages[0]!.Fill(rule, entity, expected, actual, values), expected, actual);
    }

    /// <summary>Fail closed: a rule reading a fact whose collection failed, or a required input that is absent, gets error (or notApplicable when the family is unsupported there).</summary>
    private static (Outcome Outcome, string Message, string? Remediation)? CheckFacts(CompiledRule rule, IReadOnlySet<(string Input, string Collector)> dependencies, Entity entity)
    {
        string? notApplicable = null;
        foreach (var (input, collector) in rule.Sorted(dependencies))
        {
            var owners = input == "*" ? entity.AllOwners : entity.Owners.GetValueOrDefault(input) ?? [];
            foreach (var owner in owners)
            {
                if (owner is DirectoryOwner)
                {
                    continue;
                }
                var st = owner.Status(collector);
                switch (st?.Status)
                {
                    case null:
                        return (Outcome.Error, $"'{collector}' facts of {owner.Name} were not collected (no collection record); cannot evaluate", CollectionRemediation.For(collector, owner.Name, null));
                    case CollectionState.Error:
                        return (Outcome.Error, $"'{collector}' collection failed on {owner.Name}: {st.Message ?? "error"}", CollectionRemediation.For(collector, owner.Name, st));
                    case CollectionState.Unsupported:
                        notApplicable ??= $"'{collector}' is not supported on {owner.Name}: {st.Message ?? "unsupported"}";
                        break;
                    default:
                        break;
                }
            }
        }
        foreach (var decl in rule.Inputs)
        {
            if (!rule.ReferencedInputs.Contains(decl.Name))
            {
                continue;
            }
            if (decl.FromDirectory)
            {
                var owners = entity.Owners.GetValueOrDefault(decl.Name) ?? [];
                var dir = owners.OfType<DirectoryOwner>().FirstOrDefault();
                var st = dir?.Status(FactFamilies.Directory);
                if (st is null)
                {
                    return (Outcome.Error, "directory facts were not collected (run audit collect --directory); cannot evaluate", CollectionRemediation.For(FactFamilies.Directory, "the directory", null));
                }
                if (st.Status == CollectionState.Error)
                {
                    return (Outcome.Error, $"directory collection failed: {st.Message ?? "error"}", CollectionRemediation.For(FactFamilies.Directory, "the directory", st));
                }
                if (st.Status == CollectionState.Unsupported)
                {
                    notApplicable ??= $"directory facts are not supported here: {st.Message ?? "unsupported"}";
                }
            }
            if (decl.Required && entity.Values.TryGetValue(decl.Name, out var v) && v is null)
            {
                return (Outcome.Error, decl.Name switch
                {
                    "sourceAccount" => $"no computer account for {(entity.Values.GetValueOrDefault("source") is HostFacts s ? s.Name : "the source host")} in the directory",
                    "targetAccount" => $"no computer account for {(entity.Values.GetValueOrDefault("target") is HostFacts t ? t.Name : "the target host")} in the directory",
                    _ => $"{decl.Description} ({decl.Name}) is missing",
                }, decl.FromDirectory ? "Check that the directory collection covers this computer (--directory-base must include its OU) and that the host's name matches its account." : null);
            }
        }
        return notApplicable is null ? null : (Outcome.NotApplicable, notApplicable, null);
    }

    private static Verdict Make(CompiledRule rule, Entity entity, Outcome outcome, string message, string? expected, string? actual, string? remediation = null) => new()
    {
        Remediation = remediation,
        RuleId = rule.Id,
        Severity = rule.Severity,
        Scope = rule.Scope,
        Entity = entity.Id,
        Host = entity.Host,
        Outcome = outcome,
        Message = message,
        Expected = expected,
        Actual = actual,
    };

    private static string? Evidence(Func<object[], object>? eval, object?[] values)
    {
        if (eval is null)
        {
            return null;
        }
        try
        {
            // Evidence is for people: bounded like the messages, so one huge fact cannot multiply by the rule count.
            return MessageTemplate.Cut(Format(eval(values!)), MaxEvidenceLength);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"(could not evaluate: {Explain(e)})";
        }
    }

    /// <summary>Longest expected/actual evidence kept in a verdict (characters).</summary>
    public const int MaxEvidenceLength = 64 * 1024;

    /// <summary>Evidence as text: lists joined with ", ", versions and numbers invariant, null and empty as "(none)".</summary>
    public static string Format(object? value)
    {
        switch (value)
        {
            case null:
                return "(none)";
            case string s:
                return s;
            case bool b:
                return b ? "true" : "false";
            case DateTimeOffset d:
                return d.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture);
            case DateTime d:
                return d.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
            case IFormattable f:
                return f.ToString(null, CultureInfo.InvariantCulture);
            case IEnumerable e:
                // The thread's builder is taken while a list is formatted (a nested list builds its own) and given back.
                var sb = t_listBuilder ?? new StringBuilder(256);
                t_listBuilder = null;
                sb.Clear();
                foreach (var item in e)
                {
                    if (sb.Length > 0)
                    {
                        sb.Append(", ");
                    }
                    sb.Append(Format(item));
                    if (sb.Length > 8192)
                    {
                        sb.Append(", ...");
                        break;
                    }
                }
                var text = sb.Length == 0 ? "(none)" : sb.ToString();
                t_listBuilder = sb.Capacity <= 64 * 1024 ? sb : null;
                return text;
            default:
                return value.ToString() ?? "(none)";
        }
    }

    [ThreadStatic]
    private static StringBuilder? t_listBuilder;

    private static Exception Unwrap(Exception e)
    {
        while (e is System.Reflection.TargetInvocationException or AggregateException && e.InnerException is not null)
        {
            e = e.InnerException!;
        }
        return e;
    }

    private static string Explain(Exception e)
    {
        e = Unwrap(e);
        return e switch
        {
            FactException f => f.Message,
            NullReferenceException => "a fact it reads is missing (null)",
            InvalidOperationException io when io.Message.Contains("Nullable object must have a value", StringComparison.Ordinal) => "a fact it reads is missing (null)",
            _ => e.Message,
        };
    }
}

/// <summary>
/// One string object for each distinct evidence text a worker produces: most checks of a rule describe what they expect,
/// and often what they found, in the same words ("offered: Heartbeat, ...", "all listed"), yet each check builds its
/// own copy, and every verdict keeps it until the outputs are written. On a generated 1,000-host estate 318,000 verdicts
/// carry 2,400 distinct expected and 6,100 distinct actual texts. Kept per worker (no locking) and only for the run.
/// </summary>
internal sealed class EvidenceTexts
{
    /// <summary>Longest text shared (characters); longer ones are rarely repeated.</summary>
    public const int MaxLength = 1024;

    /// <summary>Distinct texts kept per worker.</summary>
    public const int MaxEntries = 100_000;

    private readonly HashSet<string> _texts = new(StringComparer.Ordinal);

    public string? Share(string? text)
    {
        if (text is null || text.Length > MaxLength)
        {
            return text;
        }
        if (_texts.TryGetValue(text, out var shared))
        {
            return shared;
        }
        if (_texts.Count < MaxEntries)
        {
            _texts.Add(text);
        }
        return text;
    }
}
