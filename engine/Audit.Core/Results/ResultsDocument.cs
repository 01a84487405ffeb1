using System.Text.Json.Serialization;
using Audit.Core.History;

namespace Audit.Core.Results;

/// <summary>results.json (schema/results.v1.schema.json): every verdict with evidence, the rule catalogue and run metadata. Input of re-rendering and drift.</summary>
public sealed record ResultsDocument
{
    public const string CurrentApiVersion = "audit.hyperv/v1";

    public string ApiVersion { get; init; } = CurrentApiVersion;
    public string Kind { get; init; } = "Results";
    public RunInfo Run { get; init; } = new();
    /// <summary>Parameter values used (defaults merged with overrides), name -> JSON value.</summary>
    public IReadOnlyDictionary<string, System.Text.Json.JsonElement> Parameters { get; init; } = new Dictionary<string, System.Text.Json.JsonElement>();
    /// <summary>The rules that were evaluated, once each (verdicts refer to them by id).</summary>
    public IReadOnlyList<RuleInfo> Rules { get; init; } = [];
    public IReadOnlyList<Verdict> Results { get; init; } = [];
    public Summary Summary { get; init; } = new();
    /// <summary>Where each parameter value came from: default, file (--params) or commandLine (--param); same keys as <see cref="Parameters"/>.</summary>
    public IReadOnlyDictionary<string, string>? ParameterSources { get; init; }
    /// <summary>Waivers needing attention (unmatched, expiring soon, expired); null without --waivers.</summary>
    public WaiverReport? Waivers { get; init; }
    /// <summary>Changes since the baseline run; null without --baseline or a previous run in --history.</summary>
    public DriftReport? Drift { get; init; }
    /// <summary>Failures and errors over the runs kept in --history and this one; null without --history.</summary>
    public TrendReport? Trend { get; init; }
}

public sealed record RunInfo
{
    public string ToolVersion { get; init; } = "";
    /// <summary>The commit the tool was built from (its SourceRevisionId); absent when the build had no git metadata.</summary>
    public string? ToolCommit { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset FinishedAt { get; init; }
    public SnapshotRef Snapshot { get; init; } = new();
    public IReadOnlyList<RuleSetRef> RuleSets { get; init; } = [];
    public Severity FailOn { get; init; } = Severity.High;
    /// <summary>Evaluation time per rule, milliseconds, summed over entities.</summary>
    public IReadOnlyDictionary<string, double> RuleTimingsMs { get; init; } = new Dictionary<string, double>();
    public WaiversFileRef? Waivers { get; init; }
    public ParametersFileRef? ParametersFile { get; init; }
    /// <summary>The rule selection (--include, --exclude, --min-severity); null when every rule was evaluated.</summary>
    public SelectionInfo? Selection { get; init; }
    /// <summary>True when the exit code depends only on new failures (--fail-on-new); absent otherwise.</summary>
    public bool? GateOnNewFailures { get; init; }
}

public sealed record SnapshotRef
{
    public string? Path { get; init; }
    public string Sha256 { get; init; } = "";
    public DateTimeOffset CollectedAt { get; init; }
    public bool Complete { get; init; } = true;
    public int Hosts { get; init; }
    /// <summary>Failover clusters and their nodes (host names, ordered), for grouping hosts by cluster; absent in results written before it was recorded.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Clusters { get; init; }
}

public sealed record RuleSetRef
{
    public string Id { get; init; } = "";
    public string Version { get; init; } = "";
    public string? Title { get; init; }
    public string? Path { get; init; }
    public string Sha256 { get; init; } = "";
}

public sealed record RuleInfo
{
    public string Id { get; init; } = "";
    public string Title { get; init; } = "";
    /// <summary>Family prefix (HV-IS, AD-DELEG, KB, ...): <see cref="FamilyOf"/> its id.</summary>
    public string Family { get; init; } = "";

    /// <summary>The family of a rule id: everything before the last dash (HV-IS-001 -> HV-IS); the one place it is derived.</summary>
    public static string FamilyOf(string ruleId)
    {
        var cut = ruleId.LastIndexOf('-');
        return cut > 0 ? ruleId[..cut] : ruleId;
    }
    public Severity Severity { get; init; }
    public Scope Scope { get; init; }
    public string RuleSet { get; init; } = "";
    public string? Rationale { get; init; }
    public string? Remediation { get; init; }
    public IReadOnlyList<string> References { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];
}

/// <summary>One verdict per (rule, entity).</summary>
public sealed record Verdict : IJsonOnDeserialized
{
    private EntityId? _entity;
    private string _entityKey = "";

    public string RuleId { get; init; } = "";
    public Severity Severity { get; init; }
    public Scope Scope { get; init; }

    /// <summary>What this verdict judges; results.json holds its <see cref="EntityId.Key"/>.</summary>
    [JsonIgnore]
    public EntityId Entity
    {
        get => _entity ??= EntityId.Parse(_entityKey, Scope);
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _entity = value;
            _entityKey = value.Key;
        }
    }

    /// <summary>The entity as results.json writes it (ZULU, ZULU/VM01, ZULU->YANKEE, ZULU$, CLUSTER1): <see cref="EntityId.Key"/>.</summary>
    [JsonInclude]
    [JsonPropertyName("entity")]
    internal string EntityKey
    {
        get => _entityKey;
        init
        {
            _entityKey = value;
            _entity = null;
        }
    }

    /// <summary>The host the verdict belongs to (source host for pairs); null for computer and cluster scopes.</summary>
    public string? Host { get; init; }
    public Outcome Outcome { get; init; }
    public string Message { get; init; } = "";
    /// <summary>How to fix this verdict when the rule's remediation does not apply: for errors, how to make collection work. Null otherwise.</summary>
    public string? Remediation { get; init; }
    public string? Expected { get; init; }
    public string? Actual { get; init; }
    /// <summary>The waiver that turned a fail into waived, or an expired one that no longer applies (then the outcome stays fail).</summary>
    public WaiverRef? Waiver { get; init; }

    /// <summary>A verdict read from results.json gets its identity from its key and scope, once.</summary>
    void IJsonOnDeserialized.OnDeserialized() => _entity = EntityId.Parse(_entityKey, Scope);
}

/// <summary>A waiver as recorded on a verdict (schema/waivers.v1.schema.json gives the file format).</summary>
public sealed record WaiverRef
{
    public string Rule { get; init; } = "";
    /// <summary>The waiver's entity pattern as written in the waivers file.</summary>
    public string Entity { get; init; } = "";
    public string Justification { get; init; } = "";
    public string Owner { get; init; } = "";
    public string? Ticket { get; init; }
    public DateOnly Expires { get; init; }
    /// <summary>True when the waiver matched but had expired: it did not apply.</summary>
    public bool Expired { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<Outcome>))]
public enum Outcome
{
    [JsonStringEnumMemberName("pass")] Pass,
    [JsonStringEnumMemberName("fail")] Fail,
    [JsonStringEnumMemberName("error")] Error,
    [JsonStringEnumMemberName("notApplicable")] NotApplicable,
    [JsonStringEnumMemberName("waived")] Waived,
}

/// <summary>Ordered from most to least severe so that comparisons read naturally (Critical &lt; High means "more severe").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Severity>))]
public enum Severity
{
    [JsonStringEnumMemberName("critical")] Critical,
    [JsonStringEnumMemberName("high")] High,
    [JsonStringEnumMemberName("medium")] Medium,
    [JsonStringEnumMemberName("low")] Low,
    [JsonStringEnumMemberName("info")] Info,
}

[JsonConverter(typeof(JsonStringEnumConverter<Scope>))]
public enum Scope
{
    [JsonStringEnumMemberName("host")] Host,
    [JsonStringEnumMemberName("vm")] Vm,
    [JsonStringEnumMemberName("hostPair")] HostPair,
    [JsonStringEnumMemberName("computer")] Computer,
    [JsonStringEnumMemberName("cluster")] Cluster,
}

public sealed record Summary
{
    public int Total { get; init; }
    public OutcomeCounts ByOutcome { get; init; } = new();
    /// <summary>severity -> counts per outcome.</summary>
    public IReadOnlyDictionary<Severity, OutcomeCounts> BySeverity { get; init; } = new Dictionary<Severity, OutcomeCounts>();
    /// <summary>compliant, noncompliant, incomplete.</summary>
    public string Verdict { get; init; } = "";
    public int ExitCode { get; init; }
}

public sealed record OutcomeCounts
{
    public int Pass { get; init; }
    public int Fail { get; init; }
    public int Error { get; init; }
    public int NotApplicable { get; init; }
    public int Waived { get; init; }
    public int Total => Pass + Fail + Error + NotApplicable + Waived;
}
