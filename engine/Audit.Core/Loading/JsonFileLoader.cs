using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using NJsonSchema;
using NJsonSchema.Validation;
using Audit.Core.Schema;

namespace Audit.Core.Loading;

/// <summary>A JSON input file read, checked against its schema and deserialised, with what is needed to point at positions in it.</summary>
public sealed record LoadedJson<T>(T Value, byte[] Utf8, string Sha256, string DisplayPath)
{
    private JsonPositionIndex? _positions;
    private string? _rereadFrom;

    /// <summary>Where things are in the file (line, column of a path), built at the first question.</summary>
    public JsonPositionIndex Positions => _positions ??= JsonPositionIndex.Build(_rereadFrom is null ? Utf8 : JsonFileLoader.ReadForPositions(_rereadFrom));

    /// <summary>
    /// The same document without its bytes, for a caller holding many documents at once (<c>audit snapshot merge</c>):
    /// <see cref="Positions"/> reads <paramref name="path"/> again if a diagnostic needs a position.
    /// </summary>
    public LoadedJson<T> WithoutBytes(string path)
    {
        var slim = this with { Utf8 = [] };
        slim._rereadFrom = path;
        return slim;
    }
}

/// <summary>How a document is checked against its schema: whole, split per element of its large arrays, or split when large (default).</summary>
public enum SchemaValidationMode
{
    Auto,
    Whole,
    Split,
}

/// <summary>Options shared by every loader.</summary>
public sealed record LoadOptions
{
    /// <summary>Files larger than this are refused before they are read.</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    public const long DefaultMaxBytes = 1L << 30;

    public static LoadOptions Default { get; } = new();
}

/// <summary>
/// Reads JSON input strictly: size limit before reading, UTF-8 (BOM tolerated, invalid bytes refused), syntax,
/// schema (NJsonSchema on the text, for line and column), then System.Text.Json into the model.
/// Every problem becomes a <see cref="Diagnostic"/>; nothing throws past it except <see cref="InputException"/>.
/// </summary>
public static class JsonFileLoader
{
    public const int MaxDepth = 64;

    public static LoadedJson<T> Load<T>(string path, string schemaName, LoadOptions? options = null, string? displayPath = null)
    {
        options ??= LoadOptions.Default;
        var shown = displayPath ?? path;
        var bytes = InputFile.ReadAllBytes(path, options.MaxBytes, shown);
        return Parse<T>(bytes, schemaName, shown);
    }

    /// <summary>The bytes positions are counted in (a leading BOM removed, as <see cref="Parse{T}"/> removes it).</summary>
    internal static byte[] ReadForPositions(string path)
    {
        var raw = File.ReadAllBytes(path);
        return raw.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? raw[3..] : raw;
    }

    public static LoadedJson<T> Parse<T>(byte[] raw, string schemaName, string displayPath)
    {
        var bytes = raw.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? raw[3..] : raw;

        var badUtf8 = FindInvalidUtf8(bytes);
        if (badUtf8 >= 0)
        {
            var (l, c) = JsonPositionIndex.LineColumnOf(bytes, badUtf8);
            throw new InputException(new Diagnostic(DiagnosticCodes.InvalidJson, DiagnosticLevel.Error, $"invalid UTF-8 byte 0x{bytes[badUtf8]:X2} at byte offset {badUtf8}", displayPath, l, c));
        }

        // Deserialise on another core while this one checks syntax and schema, then hashes; the value is used only when
        // the checks pass. Deserialisation is the longer of the two (the floor of any load), so the hash is taken here,
        // after the schema check, not before it on the other core. The fast check passes valid documents without
        // building NJsonSchema's tree (and without a separate syntax pass: it reads every token); anything it cannot
        // vouch for gets the full checks, which give the positioned diagnostics.
        var background = Task.Run(() =>
        {
            try
            {
                using var shared = SharedStrings.Begin();
                return (Value: JsonSerializer.Deserialize<T>(bytes, AuditJson.Reading), Error: (JsonException?)null);
            }
            catch (JsonException e)
            {
                return (Value: default(T), Error: e);
            }
        });
        try
        {
            if (!FastSchemaCheck.IsValid(bytes, schemaName))
            {
                CheckSyntax(bytes, displayPath);
                var schemaErrors = ValidateAgainstSchema(bytes, schemaName, displayPath);
                if (schemaErrors.Count > 0)
                {
                    throw new InputException(schemaErrors);
                }
            }
        }
        catch (InputException)
        {
            background.Wait();
            throw;
        }

        var hash = Hashing.Sha256(raw);
        var (value, error) = background.GetAwaiter().GetResult();
        if (error is not null)
        {
            var line = (int)(error.LineNumber ?? 0) + 1;
            var col = (int)(error.BytePositionInLine ?? 0) + 1;
            var msg = error.Message;
            // The cause is told by our own scan, not by the serializer's wording: a repeated property name in one object.
            var code = FindDuplicateKey(bytes) >= 0 ? DiagnosticCodes.DuplicateKey : DiagnosticCodes.InvalidJson;
            var cut = msg.IndexOf(" Path:", StringComparison.Ordinal);
            if (cut > 0)
            {
                msg = msg[..cut];
            }
            throw new InputException(new Diagnostic(code, DiagnosticLevel.Error, $"{msg} (at {error.Path ?? "$"})", displayPath, line, col));
        }
        return new LoadedJson<T>(value ?? throw new InputException(new Diagnostic(DiagnosticCodes.InvalidJson, DiagnosticLevel.Error, "document is null", displayPath, 1, 1)), bytes, hash, displayPath);
    }

    private static void CheckSyntax(ReadOnlySpan<byte> bytes, string displayPath)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            while (reader.Read())
            {
                // Numbers the schema check and the model cannot hold: refused here, at their position, with a reason.
                if (reader.TokenType == JsonTokenType.Number && !reader.TryGetInt64(out _))
                {
                    var raw = reader.ValueSpan;
                    var integral = raw.IndexOfAny("."u8) < 0 && raw.IndexOfAny("eE"u8) < 0;
                    if (integral || !reader.TryGetDouble(out var d) || double.IsInfinity(d))
                    {
                        var (l, c) = JsonPositionIndex.LineColumnOf(bytes.ToArray(), reader.TokenStartIndex);
                        var shown = raw.Length > 40 ? Encoding.UTF8.GetString(raw[..40]) + "..." : Encoding.UTF8.GetString(raw);
                        throw new InputException(new Diagnostic(DiagnosticCodes.InvalidJson, DiagnosticLevel.Error,
                            integral ? $"number {shown} is out of range (integers must fit in 64 bits)" : $"number {shown} is out of range", displayPath, l, c));
                    }
                }
            }
        }
        catch (JsonException e)
        {
            var line = (int)(e.LineNumber ?? 0) + 1;
            var col = (int)(e.BytePositionInLine ?? 0) + 1;
            var msg = e.Message;
            var cut = msg.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0)
            {
                msg = msg[..cut];
            }
            throw new InputException(new Diagnostic(DiagnosticCodes.InvalidJson, DiagnosticLevel.Error, $"invalid JSON: {msg.TrimEnd('.', ' ')}", displayPath, line, col));
        }
    }

    /// <summary>The offset of the first property name repeated within one object (compared as unescaped text), or -1.
    /// Run only when deserialisation has already failed, to tell a duplicate key from other errors.</summary>
    public static long FindDuplicateKey(ReadOnlySpan<byte> bytes)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        var open = new Stack<HashSet<string>?>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        open.Push(new HashSet<string>(StringComparer.Ordinal));
                        break;
                    case JsonTokenType.StartArray:
                        open.Push(null);
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        open.Pop();
                        break;
                    case JsonTokenType.PropertyName when open.Peek() is { } names && !names.Add(reader.GetString()!):
                        return reader.TokenStartIndex;
                }
            }
        }
        catch (JsonException)
        {
            // Not well-formed: not a duplicate key (the syntax check reports it).
        }
        return -1;
    }

    private static int FindInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return -1;
        }
        var offset = 0;
        while (offset < bytes.Length)
        {
            var status = System.Buffers.OperationStatus.Done;
            status = Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed);
            if (status != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }
            offset += consumed;
        }
        return -1;
    }

    private static readonly ConcurrentDictionary<string, JsonSchema> Schemas = new(StringComparer.Ordinal);

    /// <summary>A schema from schema/ (embedded in this assembly), e.g. snapshot.v1.schema.json.</summary>
    public static JsonSchema Schema(string name) => Schemas.GetOrAdd(name, static n =>
    {
        var text = SchemaText(n);
        return JsonSchema.FromJsonAsync(text).GetAwaiter().GetResult();
    });

    public static string SchemaText(string name)
    {
        var asm = typeof(JsonFileLoader).Assembly;
        using var stream = asm.GetManifestResourceStream("schema/" + name)
            ?? throw new InvalidOperationException($"schema {name} is not embedded");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public static IReadOnlyList<string> EmbeddedSchemaNames() =>
        [.. typeof(JsonFileLoader).Assembly.GetManifestResourceNames().Where(n => n.StartsWith("schema/", StringComparison.Ordinal)).Select(n => n["schema/".Length..]).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Schema diagnostics for a document already known to be valid UTF-8 JSON (no BOM). Large documents of a schema
    /// with splits are validated element by element (<see cref="SplitSchemaValidator"/>), with the same diagnostics.
    /// </summary>
    public static IReadOnlyList<Diagnostic> ValidateAgainstSchema(ReadOnlySpan<byte> utf8, string schemaName, string displayPath, SchemaValidationMode mode = SchemaValidationMode.Auto)
    {
        var split = mode switch
        {
            SchemaValidationMode.Whole => false,
            SchemaValidationMode.Split => SplitSchemaValidator.Splits.ContainsKey(schemaName),
            _ => utf8.Length >= SplitSchemaValidator.MinimumBytes && SplitSchemaValidator.Splits.ContainsKey(schemaName),
        };
        if (!split)
        {
            return ValidateAgainstSchema(Encoding.UTF8.GetString(utf8), schemaName, displayPath);
        }
        var result = SplitSchemaValidator.Validate(utf8, schemaName);
        var list = new List<Diagnostic>();
        Flatten(result.Skeleton, displayPath, list, null, 0);
        foreach (var element in result.Elements)
        {
            if (element.Failure is not null)
            {
                return [Unvalidatable(utf8, new FormatException(element.Failure), displayPath)];
            }
            Flatten(element.Errors, displayPath, list, element.Path, element.LineOffset);
        }
        return Finish(list);
    }

    /// <summary>Schema diagnostics from validating the whole text at once.</summary>
    public static IReadOnlyList<Diagnostic> ValidateAgainstSchema(string text, string schemaName, string displayPath)
    {
        var schema = Schema(schemaName);
        ICollection<ValidationError> errors;
        try
        {
            errors = schema.Validate(text);
        }
        catch (Exception e) when (e is Newtonsoft.Json.JsonException or InvalidCastException or OverflowException or FormatException or ArgumentException)
        {
            return [Unvalidatable(Encoding.UTF8.GetBytes(text), e, displayPath)];
        }
        var list = new List<Diagnostic>();
        Flatten(errors, displayPath, list, null, 0);
        return Finish(list);
    }

    /// <summary>
    /// NJsonSchema (through Newtonsoft) throws on some values instead of reporting them, e.g. integers beyond the decimal
    /// range. Point at the first number no decimal can hold, or say what failed.
    /// </summary>
    internal static Diagnostic Unvalidatable(ReadOnlySpan<byte> utf8, Exception e, string displayPath)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.Number && !reader.TryGetDecimal(out _))
                {
                    var (l, c) = JsonPositionIndex.LineColumnOf(utf8.ToArray(), reader.TokenStartIndex);
                    var raw = Encoding.UTF8.GetString(reader.ValueSpan);
                    return new Diagnostic(DiagnosticCodes.InvalidJson, DiagnosticLevel.Error,
                        $"number {(raw.Length > 40 ? raw[..40] + "..." : raw)} is out of range", displayPath, l, c);
                }
            }
        }
        catch (JsonException)
        {
        }
        return new Diagnostic(DiagnosticCodes.InvalidJson, DiagnosticLevel.Error, $"the document could not be checked against its schema: {e.Message}", displayPath, 1, 1);
    }

    private static IReadOnlyList<Diagnostic> Finish(List<Diagnostic> list) =>
        [.. list.Distinct().OrderBy(d => d.Line).ThenBy(d => d.Column).ThenBy(d => d.Message, StringComparer.Ordinal).Take(200)];

    private static void Flatten(IEnumerable<ValidationError> errors, string displayPath, List<Diagnostic> into, string? prefix, int lineOffset)
    {
        foreach (var e in errors)
        {
            if (e is ChildSchemaValidationError child && child.Errors.Count > 0)
            {
                // Report the branch that got furthest; listing every oneOf branch buries the real problem. A branch whose
                // only complaint is the type of the value itself ("null expected" for a present object) was not meant.
                var best = child.Errors.Values.OrderBy(v => IsTypeMismatchOnly(v, e.Path) ? 1 : 0).ThenBy(v => v.Count).First();
                if (best.Count > 0)
                {
                    Flatten(best, displayPath, into, prefix, lineOffset);
                    continue;
                }
            }
            if (e is MultiTypeValidationError multi && multi.Errors.Count > 0)
            {
                // "type": ["array", "null"] and the like: report inside the type the value has.
                var best = multi.Errors.Values.OrderBy(v => IsTypeMismatchOnly(v, e.Path) ? 1 : 0).ThenBy(v => v.Count).First();
                if (best.Count > 0 && !IsTypeMismatchOnly(best, e.Path))
                {
                    Flatten(best, displayPath, into, prefix, lineOffset);
                    continue;
                }
            }
            var path = string.IsNullOrEmpty(e.Path) ? "#" : e.Path;
            if (prefix is not null)
            {
                path = "#/" + prefix + (path.Length > 2 ? (path[2] == '[' ? path[2..] : "." + path[2..]) : "");
            }
            var what = e.Kind switch
            {
                ValidationErrorKind.PropertyRequired => $"required property '{e.Property}' is missing",
                ValidationErrorKind.NoAdditionalPropertiesAllowed => $"unknown property '{e.Property}'",
                ValidationErrorKind.NotInEnumeration => "value is not one of the allowed values",
                _ => Humanize(e.Kind.ToString()),
            };
            into.Add(new Diagnostic(DiagnosticCodes.SchemaViolation, DiagnosticLevel.Error, $"{what} (at {path})", displayPath, e.LineNumber + lineOffset, e.LinePosition));
        }
    }

    private static readonly HashSet<ValidationErrorKind> TypeKinds =
    [
        ValidationErrorKind.NullExpected, ValidationErrorKind.ObjectExpected, ValidationErrorKind.ArrayExpected, ValidationErrorKind.StringExpected,
        ValidationErrorKind.IntegerExpected, ValidationErrorKind.NumberExpected, ValidationErrorKind.BooleanExpected,
    ];

    private static bool IsTypeMismatchOnly(ICollection<ValidationError> branch, string? path) =>
        branch.Count > 0 && branch.All(x => TypeKinds.Contains(x.Kind) && x.Path == path);

    private static string Humanize(string kind)
    {
        var sb = new StringBuilder();
        foreach (var ch in kind)
        {
            if (char.IsUpper(ch) && sb.Length > 0)
            {
                sb.Append(' ');
            }
            sb.Append(char.ToLowerInvariant(ch));
        }
        return sb.ToString();
    }
}
