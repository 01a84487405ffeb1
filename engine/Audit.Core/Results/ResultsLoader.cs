using Audit.Core.Loading;
using Audit.Core.Schema;

namespace Audit.Core.Results;

/// <summary>
/// Loads a results.json written earlier (re-rendering, a baseline, a history entry, an input of 'audit diff'):
/// schema-validated (schema/results.v1.schema.json) and deserialised strictly, with positioned diagnostics.
/// </summary>
public static class ResultsLoader
{
    public const string SchemaName = "results.v1.schema.json";

    public static LoadedJson<ResultsDocument> Load(string path, LoadOptions? options = null, string? displayPath = null)
    {
        var shown = displayPath ?? path;
        return Parse(InputFile.ReadAllBytes(path, (options ?? LoadOptions.Default).MaxBytes, shown), shown);
    }

    public static LoadedJson<ResultsDocument> Parse(byte[] utf8, string displayPath)
    {
        RefuseOtherDocuments(utf8, displayPath);
        return Check(JsonFileLoader.Parse<ResultsDocument>(utf8, SchemaName, displayPath));
    }

    /// <summary>
    /// A snapshot, rule set or waivers file given where results are expected (the arguments of 'audit diff' swapped with
    /// a snapshot, say) is AUD0005 naming what it is, not a page of schema errors: the top-level "kind" and "apiVersion"
    /// are read before the schema is applied. A document without them, or not JSON at all, goes on to the full checks.
    /// </summary>
    private static void RefuseOtherDocuments(byte[] raw, string displayPath)
    {
        var bom = raw.AsSpan().StartsWith(System.Text.Encoding.UTF8.Preamble) ? 3 : 0;
        var bytes = raw.AsSpan(bom);
        string? kind = null, apiVersion = null;
        long kindAt = 0;
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(bytes, new System.Text.Json.JsonReaderOptions { MaxDepth = JsonFileLoader.MaxDepth });
            if (!reader.Read() || reader.TokenType != System.Text.Json.JsonTokenType.StartObject)
            {
                return;
            }
            while ((kind is null || apiVersion is null) && reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName)
            {
                var name = reader.ValueTextEquals("kind"u8) ? 1 : reader.ValueTextEquals("apiVersion"u8) ? 2 : 0;
                reader.Read();
                if (name != 0 && reader.TokenType == System.Text.Json.JsonTokenType.String)
                {
                    if (name == 1)
                    {
                        (kind, kindAt) = (reader.GetString(), reader.TokenStartIndex);
                    }
                    else
                    {
                        apiVersion = reader.GetString();
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not readable as far as it got: the full checks report where and why.
        }
        if (kind is null || (kind == "Results" && (apiVersion is null || apiVersion == ResultsDocument.CurrentApiVersion)))
        {
            return;
        }
        var (line, column) = JsonPositionIndex.LineColumnOf(raw, bom + kindAt);
        var hint = kind switch
        {
            "Snapshot" => ": this is a snapshot; audit it with 'audit evaluate --snapshot FILE' and compare the results.json files that runs write",
            "Results" => "",
            _ => ": give a results.json written by 'audit run', 'audit evaluate' or kept in a --history folder",
        };
        throw new InputException(new Diagnostic(DiagnosticCodes.UnsupportedApiVersion, DiagnosticLevel.Error,
            $"not a results file of this version (kind '{kind}', apiVersion '{apiVersion}'; expected Results, {ResultsDocument.CurrentApiVersion}){hint}", displayPath, line, column));
    }

    private static LoadedJson<ResultsDocument> Check(LoadedJson<ResultsDocument> loaded)
    {
        var d = loaded.Value;
        if (d.Kind != "Results" || d.ApiVersion != ResultsDocument.CurrentApiVersion)
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.UnsupportedApiVersion, DiagnosticLevel.Error,
                $"not a results file of this version (kind '{d.Kind}', apiVersion '{d.ApiVersion}'; expected Results, {ResultsDocument.CurrentApiVersion})", loaded.DisplayPath, 1, 1));
        }
        // What the schema cannot say: rule ids unique, and a summary that agrees with the verdicts (a hand-edited or
        // spliced file must not render as compliant while its results fail).
        var bag = new DiagnosticBag();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < d.Rules.Count; i++)
        {
            if (!seen.Add(d.Rules[i].Id))
            {
                var (l, c) = loaded.Positions.Position($"rules[{i}].id");
                bag.Error(DiagnosticCodes.SchemaViolation, $"rule '{d.Rules[i].Id}' is listed twice", loaded.DisplayPath, l, c);
            }
        }
        var recomputed = SummaryCalculator.Compute(d.Results, d.Run.FailOn);
        if (recomputed.ByOutcome != d.Summary.ByOutcome || recomputed.Total != d.Summary.Total)
        {
            var (l, c) = loaded.Positions.Position("summary");
            var o = recomputed.ByOutcome;
            bag.Error(DiagnosticCodes.SchemaViolation,
                $"summary does not match the results (the results hold {o.Fail} fail, {o.Error} error, {o.Pass} pass, {o.NotApplicable} notApplicable, {o.Waived} waived): the file was edited or spliced",
                loaded.DisplayPath, l, c);
        }
        if (d.Trend is { } trend && !TrendAgrees(trend, recomputed))
        {
            var (l, c) = loaded.Positions.Position("trend");
            bag.Error(DiagnosticCodes.SchemaViolation,
                $"trend does not match the results (more than maxRuns runs, a rule's counts not one per run, or its last run not this one's failures and errors by severity): the file was edited or spliced",
                loaded.DisplayPath, l, c);
        }
        if (bag.HasErrors)
        {
            throw new InputException(bag.Sorted());
        }
        return loaded;
    }

    /// <summary>A trend is bounded, one count per run for each rule, and ends with this run as its verdicts count it.</summary>
    private static bool TrendAgrees(History.TrendReport trend, Summary recomputed)
    {
        if (trend.Runs.Count == 0 || trend.Runs.Count > trend.MaxRuns || trend.Runs[^1].Current != true
            || trend.Rules.Any(r => r.Fail.Count != trend.Runs.Count || r.Error.Count != trend.Runs.Count))
        {
            return false;
        }
        var last = trend.Runs[^1];
        return Enum.GetValues<Severity>().All(s =>
            recomputed.BySeverity.TryGetValue(s, out var c) && c.Fail == last.Fail[s] && c.Error == last.Error[s]);
    }
}
