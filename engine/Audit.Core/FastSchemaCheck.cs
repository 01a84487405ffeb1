using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NJsonSchema;

namespace Audit.Core;

/// <summary>
/// A fast yes/no schema check straight over the UTF-8 bytes (Utf8JsonReader), for the draft-04 subset our schemas use
/// (type, enum, properties, required, additionalProperties, items, $ref, oneOf, minLength/maxLength, minimum/maximum,
/// pattern, format date-time), read from the same NJsonSchema object model, so schema/ stays the single source.
/// <para>
/// It answers only "valid" or "not known to be valid": a valid document (the usual, large case) never builds the
/// Newtonsoft tree NJsonSchema needs; anything else is validated by NJsonSchema as before, which then gives the
/// diagnostics with line and column. So the check must be sound (never valid where NJsonSchema finds an error); it is
/// stricter where in doubt, and a schema using any keyword outside the subset is never checked fast.
/// </para>
/// </summary>
public static class FastSchemaCheck
{
    private static readonly ConcurrentDictionary<JsonSchema, bool> SupportedCache = new();
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    /// <summary>True when the document certainly satisfies the schema; false when it may not (or the schema is outside the subset).</summary>
    public static bool IsValid(ReadOnlySpan<byte> utf8, JsonSchema schema)
    {
        if (!Supported(schema))
        {
            return false;
        }
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = JsonFileLoader.MaxDepth });
        try
        {
            return reader.Read() && Value(ref reader, schema) && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Whether every schema reachable from <paramref name="root"/> uses only keywords this check implements.</summary>
    public static bool Supported(JsonSchema root) => SupportedCache.GetOrAdd(root, static r =>
    {
        var seen = new HashSet<JsonSchema>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<JsonSchema>();
        stack.Push(r);
        while (stack.Count > 0)
        {
            var s = stack.Pop().ActualSchema;
            if (!seen.Add(s))
            {
                continue;
            }
            if (s.AllOf.Count > 0 || s.AnyOf.Count > 0 || s.Not is not null || s.Items.Count > 0 || s.PatternProperties.Count > 0
                || s.MinProperties > 0 || s.MaxProperties > 0 || s.MinItems > 0 || s.MaxItems > 0 || s.UniqueItems || s.MultipleOf is not null
                || s.IsExclusiveMinimum || s.IsExclusiveMaximum || s.ExclusiveMinimum is not null || s.ExclusiveMaximum is not null
                || s.DictionaryKey is not null || s.Discriminator is not null
                || (s.Format is not null && s.Format != "date-time"))
            {
                return false;
            }
            foreach (var p in s.Properties.Values)
            {
                stack.Push(p);
            }
            foreach (var o in s.OneOf)
            {
                stack.Push(o);
            }
            if (s.Item is not null)
            {
                stack.Push(s.Item);
            }
            if (s.AdditionalPropertiesSchema is not null)
            {
                stack.Push(s.AdditionalPropertiesSchema);
            }
        }
        return true;
    });

    /// <summary>Checks the value the reader is on and leaves the reader on its last token.</summary>
    private static bool Value(ref Utf8JsonReader reader, JsonSchema schema)
    {
        var s = schema.ActualSchema;
        if (s.OneOf.Count > 0)
        {
            var matches = 0;
            foreach (var branch in s.OneOf)
            {
                var copy = reader;
                if (Value(ref copy, branch))
                {
                    matches++;
                }
            }
            if (matches != 1)
            {
                return false;
            }
        }
        if (s.Enumeration.Count > 0 && !InEnum(ref reader, s.Enumeration))
        {
            return false;
        }
        var type = s.Type;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return type == JsonObjectType.None || type.HasFlag(JsonObjectType.Null);
            case JsonTokenType.True:
            case JsonTokenType.False:
                return type == JsonObjectType.None || type.HasFlag(JsonObjectType.Boolean);
            case JsonTokenType.Number:
                return Number(ref reader, s, type);
            case JsonTokenType.String:
                return (type == JsonObjectType.None || type.HasFlag(JsonObjectType.String)) && String(ref reader, s);
            case JsonTokenType.StartArray:
                if (type != JsonObjectType.None && !type.HasFlag(JsonObjectType.Array))
                {
                    return false;
                }
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (s.Item is not null ? !Value(ref reader, s.Item) : !Skip(ref reader))
                    {
                        return false;
                    }
                }
                return true;
            case JsonTokenType.StartObject:
                return (type == JsonObjectType.None || type.HasFlag(JsonObjectType.Object)) && Object(ref reader, s);
            default:
                return false;
        }
    }

    private static bool Skip(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return true;
    }

    /// <summary>Per object schema: its properties by name (looked up from the reader without allocating) and the bit of each required one.</summary>
    private sealed class ObjectShape
    {
        public required Dictionary<string, (JsonSchema Schema, int RequiredBit)> Properties { get; init; }
        public required Dictionary<string, (JsonSchema Schema, int RequiredBit)>.AlternateLookup<ReadOnlySpan<char>> Lookup { get; init; }
        public required ulong AllRequired { get; init; }
    }

    private static readonly ConcurrentDictionary<JsonSchema, ObjectShape?> Shapes = new();

    private static ObjectShape? Shape(JsonSchema s) => Shapes.GetOrAdd(s, static schema =>
    {
        var required = schema.RequiredProperties.Distinct(StringComparer.Ordinal).ToList();
        if (required.Count > 64 || required.Any(r => !schema.Properties.ContainsKey(r)))
        {
            return null;
        }
        var properties = new Dictionary<string, (JsonSchema, int)>(StringComparer.Ordinal);
        foreach (var (name, property) in schema.Properties)
        {
            properties[name] = (property, required.IndexOf(name));
        }
        return new ObjectShape
        {
            Properties = properties,
            Lookup = properties.GetAlternateLookup<ReadOnlySpan<char>>(),
            AllRequired = required.Count == 64 ? ulong.MaxValue : (1UL << required.Count) - 1,
        };
    });

    private static bool Object(ref Utf8JsonReader reader, JsonSchema s)
    {
        var shape = Shape(s);
        if (shape is null)
        {
            return false;
        }
        var found = 0UL;
        Span<char> buffer = stackalloc char[128];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            (JsonSchema Schema, int RequiredBit) property;
            bool known;
            if (!reader.HasValueSequence && !reader.ValueIsEscaped && reader.ValueSpan.Length <= buffer.Length)
            {
                var length = reader.CopyString(buffer);
                known = shape.Lookup.TryGetValue(buffer[..length], out property);
            }
            else
            {
                known = shape.Properties.TryGetValue(reader.GetString()!, out property);
            }
            if (!reader.Read())
            {
                return false;
            }
            if (known)
            {
                if (!Value(ref reader, property.Schema))
                {
                    return false;
                }
                if (property.RequiredBit >= 0)
                {
                    found |= 1UL << property.RequiredBit;
                }
            }
            else if (!s.AllowAdditionalProperties)
            {
                return false;
            }
            else if (s.AdditionalPropertiesSchema is not null)
            {
                if (!Value(ref reader, s.AdditionalPropertiesSchema))
                {
                    return false;
                }
            }
            else
            {
                reader.Skip();
            }
        }
        return found == shape.AllRequired;
    }

    private static bool Number(ref Utf8JsonReader reader, JsonSchema s, JsonObjectType type)
    {
        var isInteger = !reader.HasValueSequence && reader.ValueSpan.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0;
        if (type != JsonObjectType.None && !type.HasFlag(JsonObjectType.Number) && !(isInteger && type.HasFlag(JsonObjectType.Integer)))
        {
            return false;
        }
        // Outside the 64-bit range NJsonSchema's reader works with big integers or floats: leave such values to it.
        if (isInteger ? !reader.TryGetInt64(out _) : !reader.TryGetDouble(out _))
        {
            return false;
        }
        if (s.Minimum is null && s.Maximum is null)
        {
            return true;
        }
        if (!reader.TryGetDecimal(out var value))
        {
            return false;
        }
        return (s.Minimum is not { } min || value >= min) && (s.Maximum is not { } max || value <= max);
    }

    private static bool String(ref Utf8JsonReader reader, JsonSchema s)
    {
        if (s.MinLength is null && s.MaxLength is null && s.Pattern is null && s.Format is null)
        {
            return true;
        }
        var value = reader.GetString()!;
        if ((s.MinLength is { } min && value.Length < min) || (s.MaxLength is { } max && value.Length > max))
        {
            return false;
        }
        if (s.Pattern is { } pattern && !Patterns.GetOrAdd(pattern, static p => new Regex(p)).IsMatch(value))
        {
            return false;
        }
        // Strict ISO 8601 with offset; NJsonSchema is more lenient, so this only sends odd dates to the full validator.
        return s.Format is not "date-time" || DateTimeOffset.TryParseExact(value, IsoFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
    }

    private static readonly string[] IsoFormats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    private static bool InEnum(ref Utf8JsonReader reader, ICollection<object?> values)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return values.Contains(null);
            case JsonTokenType.String:
                var text = reader.GetString();
                return values.Any(v => v is string sv && string.Equals(sv, text, StringComparison.Ordinal));
            default:
                // Numbers, booleans and containers in enums are not used by our schemas: let NJsonSchema decide.
                return false;
        }
    }
}
