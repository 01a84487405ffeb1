namespace Audit.Core;

/// <summary>
/// Loads a results.json written earlier (re-rendering, a baseline, a history entry, an input of 'audit diff'):
/// schema-validated (schema/results.v1.schema.json) and deserialised strictly, with positioned diagnostics.
/// </summary>
public static class ResultsLoader
{
    public const string SchemaName = "results.v1.schema.json";

    public static LoadedJson<ResultsDocument> Load(string path, LoadOptions? options = null, string? displayPath = null) =>
        Check(JsonFileLoader.Load<ResultsDocument>(path, SchemaName, options, displayPath));

    public static LoadedJson<ResultsDocument> Parse(byte[] utf8, string displayPath) =>
        Check(JsonFileLoader.Parse<ResultsDocument>(utf8, SchemaName, displayPath));

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
        if (bag.HasErrors)
        {
            throw new InputException(bag.Sorted());
        }
        return loaded;
    }
}
