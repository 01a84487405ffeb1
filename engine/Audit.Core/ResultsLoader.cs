namespace Audit.Core;

/// <summary>Loads a results.json written earlier (for re-rendering and drift): schema-validated with positioned diagnostics.</summary>
public static class ResultsLoader
{
    public const string SchemaName = "results.v1.schema.json";

    public static LoadedJson<ResultsDocument> Load(string path, LoadOptions? options = null, string? displayPath = null) =>
        JsonFileLoader.Load<ResultsDocument>(path, SchemaName, options, displayPath);

    public static LoadedJson<ResultsDocument> Parse(byte[] utf8, string displayPath) =>
        JsonFileLoader.Parse<ResultsDocument>(utf8, SchemaName, displayPath);
}
