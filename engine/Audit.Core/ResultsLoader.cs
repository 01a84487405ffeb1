using System.Text.Json;

namespace Audit.Core;

/// <summary>
/// Reads a results.json (a baseline, a history entry, an input of 'audit diff'). Validated against
/// schema/results.v1.schema.json when that schema is embedded; always deserialised strictly, with positions on errors.
/// </summary>
public static class ResultsLoader
{
    public const string SchemaName = "results.v1.schema.json";

    public static LoadedJson<ResultsDocument> Load(string path, LoadOptions? options = null, string? displayPath = null)
    {
        options ??= LoadOptions.Default;
        var shown = displayPath ?? path;
        if (JsonFileLoader.EmbeddedSchemaNames().Contains(SchemaName))
        {
            return Check(JsonFileLoader.Load<ResultsDocument>(path, SchemaName, options, shown));
        }
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.FileNotFound, DiagnosticLevel.Error, Directory.Exists(path) ? "is a folder, expected a results file" : "results file not found", shown));
        }
        if (info.Length > options.MaxBytes)
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.FileTooLarge, DiagnosticLevel.Error, $"file is {info.Length:N0} bytes, over the limit of {options.MaxBytes:N0} bytes (raise it with --max-input-mb)", shown));
        }
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.FileNotFound, DiagnosticLevel.Error, $"cannot read: {e.Message}", shown));
        }
        return Parse(bytes, shown);
    }

    public static LoadedJson<ResultsDocument> Parse(byte[] bytes, string displayPath)
    {
        var body = bytes.AsSpan().StartsWith(System.Text.Encoding.UTF8.Preamble) ? bytes[3..] : bytes;
        try
        {
            var doc = JsonSerializer.Deserialize<ResultsDocument>(body, AuditJson.Options)
                ?? throw new InputException(new Diagnostic(DiagnosticCodes.InvalidJson, DiagnosticLevel.Error, "document is null", displayPath, 1, 1));
            return Check(new LoadedJson<ResultsDocument>(doc, body, Hashing.Sha256(bytes), displayPath));
        }
        catch (JsonException e)
        {
            var msg = e.Message;
            var cut = msg.IndexOf(" Path:", StringComparison.Ordinal);
            if (cut > 0)
            {
                msg = msg[..cut];
            }
            throw new InputException(new Diagnostic(DiagnosticCodes.InvalidJson, DiagnosticLevel.Error, $"not a results file: {msg} (at {e.Path ?? "$"})", displayPath, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1));
        }
    }

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
