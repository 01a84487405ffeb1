using System.Text.Json;
using Audit.Core;
using Audit.Core.History;
using Audit.Core.Results;

namespace Audit.Reports;

/// <summary>
/// The rows of the HTML report's data block, defined once: each row kind's fields in the order a row holds them, with
/// their names, what they hold and how they are written. <see cref="ReportData"/> writes every row through these; the
/// block carries each kind's field names once (<c>layout</c>), and report.js looks a field's position up by its name
/// at load (<c>r[VERDICT.entity]</c>), never by number. schema/report-data.v1.schema.json is made from here
/// (ReportRowLayoutTests keeps it in step, and holds report.js to these names).
/// <para>
/// Rows are arrays, not objects with named members: a large estate has hundreds of thousands of verdicts, and the
/// names once per kind instead of once per row keep the page small and quick to parse.
/// </para>
/// </summary>
internal static class ReportRowLayout
{
    // A kind is declared before the kinds whose rows hold it (static fields are initialised in order).

    /// <summary>A rule's trend: one count per run of the data block's <c>trend</c>, oldest first.</summary>
    public static readonly RowKind<RuleTrendRow> RuleTrendRows = new("ruleTrend", "A rule's trend: per run of 'trend' (oldest first), a count or null where the run did not check the rule.",
    [
        new("fail", "failing entities per run", FieldType.Counts, static (w, r) => WriteCounts(w, r.Trend.Fail, r.From, r.To)),
        new("error", "erroring entities per run", FieldType.Counts, static (w, r) => WriteCounts(w, r.Trend.Error, r.From, r.To)),
    ]);

    /// <summary>A rule with a verdict (<c>rules</c>): the rules results.json lists, then ids that only verdicts name.</summary>
    public static readonly RowKind<RuleRow> RuleRows = new("rule", "A rule with a verdict; verdicts refer to it by its position in 'rules'.",
    [
        new("id", "the rule id", FieldType.Text, static (w, r) => w.WriteStringValue(TextSanitizer.Name(r.Rule.Id))),
        new("title", "the rule's title", FieldType.Text, static (w, r) => w.WriteStringValue(TextSanitizer.Display(r.Rule.Title))),
        new("family", "its family: a position in 'families'", FieldType.Index, static (w, r) => w.WriteNumberValue(r.Family)),
        new("severity", "its severity (critical, high, medium, low, info)", FieldType.Text, static (w, r) => w.WriteStringValue(r.Rule.Severity.Name())),
        new("scope", "its scope (host, vm, hostPair, computer, cluster)", FieldType.Text, static (w, r) => w.WriteStringValue(r.Rule.Scope.Name())),
        new("rationale", "why the rule matters", FieldType.Text, static (w, r) => w.WriteStringValue(TextSanitizer.Display(r.Rule.Rationale))),
        new("remediation", "how to fix a failure (a verdict's own remediation, when it has one, comes first)", FieldType.Text, static (w, r) => w.WriteStringValue(TextSanitizer.Display(r.Rule.Remediation))),
        new("references", "KB numbers, documents, addresses", FieldType.Texts, static (w, r) =>
        {
            w.WriteStartArray();
            foreach (var reference in r.Rule.References)
            {
                w.WriteStringValue(TextSanitizer.Display(reference));
            }
            w.WriteEndArray();
        }),
        new("trend", "its failing and erroring entities over the runs of 'trend'; null without a trend or when it was not counted", FieldType.Row, static (w, r) =>
        {
            if (r.Trend is { } t)
            {
                RuleTrendRows.Write(w, new RuleTrendRow(t, r.TrendFrom, r.TrendTo));
            }
            else
            {
                w.WriteNullValue();
            }
        }, RuleTrendRows.Name),
    ]);

    /// <summary>The waiver of a verdict: its details in words (<see cref="WaiverWording.Details"/>) and whether it expired.</summary>
    public static readonly RowKind<WaiverRef> WaiverRows = new("waiver", "The waiver that matched a verdict.",
    [
        new("details", "justification, owner, ticket, expiry and the pattern that matched, one per line, as the report shows them", FieldType.Text, static (w, x) => w.WriteStringValue(WaiverWording.Details(x))),
        new("expired", "true when the waiver had expired and was not applied", FieldType.Boolean, static (w, x) => w.WriteBooleanValue(x.Expired)),
    ]);

    /// <summary>One verdict (<c>verdicts</c>), in the order of results.json.</summary>
    public static readonly RowKind<VerdictRow> VerdictRows = new("verdict", "One verdict, in the order of results.json.",
    [
        new("rule", "its rule: a position in 'rules'", FieldType.Index, static (w, r) => w.WriteNumberValue(r.Rule)),
        new("group", "its host, cluster or directory group: a position in 'groups'", FieldType.Index, static (w, r) => w.WriteNumberValue(r.Group)),
        new("outcome", "its outcome: a position in 'outcomes'", FieldType.Index, static (w, r) => w.WriteNumberValue((int)r.Verdict.Outcome)),
        new("severity", "its severity (critical, high, medium, low, info)", FieldType.Text, static (w, r) => w.WriteStringValue(r.Verdict.Severity.Name())),
        new("entity", "the entity checked (host, host/VM, pair, computer, cluster)", FieldType.Text, static (w, r) => w.WriteStringValue(TextSanitizer.Name(r.Verdict.Entity.Key))),
        new("message", "the finding in words", FieldType.Text, static (w, r) => w.WriteStringValue(TextSanitizer.Display(r.Verdict.Message))),
        new("expected", "the evidence: what the rule expects", FieldType.TextOrNull, static (w, r) => WriteNullable(w, r.Verdict.Expected)),
        new("actual", "the evidence: what was found", FieldType.TextOrNull, static (w, r) => WriteNullable(w, r.Verdict.Actual)),
        new("waiver", "the waiver that matched the check (applied, or expired and not applied); null when none", FieldType.Row, static (w, r) =>
        {
            if (r.Verdict.Waiver is { } waiver)
            {
                WaiverRows.Write(w, waiver);
            }
            else
            {
                w.WriteNullValue();
            }
        }, WaiverRows.Name),
        new("new", "1 when the check fails since the baseline (a new failure, or a failure whose waiver expired), else 0", FieldType.Flag, static (w, r) => w.WriteNumberValue(r.New ? 1 : 0)),
        new("remediation", "the verdict's own remediation (a collection failure's fix); null for the rule's", FieldType.TextOrNull, static (w, r) => WriteNullable(w, r.Verdict.Remediation)),
    ]);

    /// <summary>Every row kind, in the order the layout lists them.</summary>
    public static IReadOnlyList<RowKind> All { get; } = [RuleRows, RuleTrendRows, VerdictRows, WaiverRows];

    /// <summary>The <c>layout</c> member: for each row kind, its field names in row order.</summary>
    public static void WriteLayout(Utf8JsonWriter w)
    {
        w.WriteStartObject("layout");
        foreach (var kind in All)
        {
            w.WriteStartArray(kind.Name);
            foreach (var field in kind.Fields)
            {
                w.WriteStringValue(field.Name);
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    /// <summary>The counts of runs [<paramref name="from"/>, <paramref name="to"/>) of the trend (missing or not checked: null; never below 0).</summary>
    private static void WriteCounts(Utf8JsonWriter w, IReadOnlyList<int?> counts, int from, int to)
    {
        w.WriteStartArray();
        for (var i = from; i < to; i++)
        {
            if (i < counts.Count && counts[i] is { } n)
            {
                w.WriteNumberValue(Math.Max(0, n));
            }
            else
            {
                w.WriteNullValue();
            }
        }
        w.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter w, string? s)
    {
        if (s is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteStringValue(TextSanitizer.Display(s));
        }
    }
}

/// <summary>What a field of a row holds (the schema says it in JSON Schema terms).</summary>
internal enum FieldType
{
    /// <summary>A position (0 or more) in another list of the data block.</summary>
    Index,
    Text,
    TextOrNull,
    /// <summary>0 or 1.</summary>
    Flag,
    Boolean,
    /// <summary>An array of strings.</summary>
    Texts,
    /// <summary>An array of counts (0 or more), null where there is none.</summary>
    Counts,
    /// <summary>A row of the kind <see cref="RowField.Row"/>, or null.</summary>
    Row,
}

/// <summary>A field of a row: its name (what report.js looks it up by), what it means, what it holds.</summary>
internal abstract record RowField(string Name, string Meaning, FieldType Type, string? Row);

/// <summary>A field and how it is written from the row's source <typeparamref name="T"/>.</summary>
internal sealed record RowField<T>(string Name, string Meaning, FieldType Type, Action<Utf8JsonWriter, T> WriteValue, string? Row = null)
    : RowField(Name, Meaning, Type, Row);

/// <summary>A row kind: its name in <c>layout</c>, what one row is, and its fields in row order.</summary>
internal abstract record RowKind(string Name, string Meaning)
{
    public abstract IReadOnlyList<RowField> Fields { get; }
}

/// <summary>A row kind written from <typeparamref name="T"/>: one JSON array, one value per field, in order.</summary>
internal sealed record RowKind<T>(string Name, string Meaning, IReadOnlyList<RowField<T>> TypedFields) : RowKind(Name, Meaning)
{
    public override IReadOnlyList<RowField> Fields => TypedFields;

    public void Write(Utf8JsonWriter w, T row)
    {
        w.WriteStartArray();
        foreach (var field in TypedFields)
        {
            field.WriteValue(w, row);
        }
        w.WriteEndArray();
    }
}

/// <summary>A rule row's source: the rule, its family's position, and its trend over runs [TrendFrom, TrendTo) (null without one).</summary>
internal readonly record struct RuleRow(RuleInfo Rule, int Family, RuleTrend? Trend, int TrendFrom, int TrendTo);

/// <summary>A rule trend row's source: the rule's counts and the runs [From, To) of them the report shows.</summary>
internal readonly record struct RuleTrendRow(RuleTrend Trend, int From, int To);

/// <summary>A verdict row's source: the verdict, its rule's and group's positions, and whether it is new since the baseline.</summary>
internal readonly record struct VerdictRow(Verdict Verdict, int Rule, int Group, bool New);
