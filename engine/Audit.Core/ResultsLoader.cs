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
        return loaded;
    }
}
