using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Audit.Core.Loading;

namespace Audit.Core.Schema;

/// <summary>
/// A fast yes/no schema check straight over the UTF-8 bytes (Utf8JsonReader), for the draft-04 subset our schemas use
/// (type, enum, properties, required, additionalProperties, items, minItems, $ref to #/definitions, oneOf,
/// minLength/maxLength, minimum/maximum, pattern, format date-time). The schema text in schema/ is read with
/// System.Text.Json into plain nodes once, so schema/ stays the single source and a valid document (the usual, large
/// case) touches neither NJsonSchema nor Newtonsoft: loading those cold costs more than checking 80 MB.
/// <para>
/// It answers only "valid" or "not known to be valid": anything else is validated by NJsonSchema as before, which then
/// gives the diagnostics with line and column. So the check must be sound (never valid where NJsonSchema finds an
/// error; the soundness fuzz tests compare the two); it is stricter where in doubt, and a schema using any keyword
/// outside the subset is never checked fast.
/// </para>
/// </summary>
public static class FastSchemaCheck
{
    private static readonly ConcurrentDictionary<string, Node?> Compiled = new(StringComparer.Ordinal);

    /// <summary>True when the document certainly satisfies the embedded schema <paramref name="schemaName"/>; false when it may not (or the schema is outside the subset).</summary>
    public static bool IsValid(ReadOnlySpan<byte> utf8, string schemaName)
    {
        if (Root(schemaName) is not { } root)
        {
            return false;
        }
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = JsonFileLoader.MaxDepth });
        try
        {
            return reader.Read() && Value(ref reader, root) && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Whether the embedded schema uses only keywords this check implements.</summary>
    public static bool Supported(string schemaName) => Root(schemaName) is not null;

    /// <summary>The embedded schema compiled once into nodes; null when it is outside the subset.</summary>
    private static Node? Root(string schemaName) => Compiled.GetOrAdd(schemaName, static n => Node.Compile(JsonFileLoader.SchemaText(n)));

    [Flags]
    private enum Types
    {
        Any = 0,
        Null = 1,
        Boolean = 2,
        Integer = 4,
        Number = 8,
        String = 16,
        Array = 32,
        Object = 64,
    }

    /// <summary>One schema object, its keywords as plain fields.</summary>
    private sealed class Node
    {
        public Types Types;
        /// <summary>The enum's string values as UTF-8, when the schema has an enum (other kinds of values in it are never vouched for).</summary>
        public byte[][]? Enum;
        public bool EnumNull;
        public Node[] OneOf = [];
        public Dictionary<string, (Node Node, int RequiredBit)>? Properties;
        /// <summary>The declared property names as UTF-8, in schema order (documents usually follow it), with their entries.</summary>
        public byte[][] Names = [];
        public (Node Node, int RequiredBit)[] Entries = [];
        public ulong AllRequired;
        /// <summary>A required property the schema does not declare (or more than 64): left to NJsonSchema.</summary>
        public bool RequiredUnchecked;
        public bool AllowAdditional = true;
        public Node? Additional;
        public Node? Items;
        public int? MinItems;
        public int? MinLength;
        public int? MaxLength;
        public Regex? Pattern;
        public bool DateTime;
        public decimal? Minimum;
        public decimal? Maximum;
        /// <summary>For $ref: the definition it points at (resolved after all definitions exist).</summary>
        public Node? Target;

        public Node Actual => Target is null ? this : Target.Actual;

        private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal) { "$schema", "id", "title", "description", "definitions", "default", "examples" };

        /// <summary>The root node, or null when the schema uses a keyword (or a form of one) outside the subset.</summary>
        public static Node? Compile(string schemaText)
        {
            using var doc = JsonDocument.Parse(schemaText);
            var definitions = new Dictionary<string, Node>(StringComparer.Ordinal);
            var refs = new List<(Node Node, string Name)>();
            var rootElement = doc.RootElement;
            if (rootElement.TryGetProperty("definitions", out var defs))
            {
                if (defs.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }
                foreach (var d in defs.EnumerateObject())
                {
                    definitions[d.Name] = new Node();
                }
                foreach (var d in defs.EnumerateObject())
                {
                    if (!Fill(definitions[d.Name], d.Value, refs))
                    {
                        return null;
                    }
                }
            }
            var root = new Node();
            if (!Fill(root, rootElement, refs))
            {
                return null;
            }
            foreach (var (node, name) in refs)
            {
                if (!definitions.TryGetValue(name, out var target))
                {
                    return null;
                }
                node.Target = target;
            }
            // A cycle of bare references has no actual schema.
            foreach (var (node, _) in refs)
            {
                var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
                for (var n = node; n.Target is not null; n = n.Target)
                {
                    if (!seen.Add(n))
                    {
                        return null;
                    }
                }
            }
            return root;
        }

        private static bool Fill(Node node, JsonElement e, List<(Node, string)> refs)
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                return false;
            }
            if (e.TryGetProperty("$ref", out var r))
            {
                // Only a bare local reference (annotations aside): siblings of $ref are read differently by validators.
                const string prefix = "#/definitions/";
                if (r.ValueKind != JsonValueKind.String || r.GetString() is not { } target || !target.StartsWith(prefix, StringComparison.Ordinal)
                    || e.EnumerateObject().Any(p => p.Name is not ("$ref" or "description" or "title")))
                {
                    return false;
                }
                refs.Add((node, target[prefix.Length..]));
                return true;
            }
            List<string>? required = null;
            foreach (var p in e.EnumerateObject())
            {
                var v = p.Value;
                var ok = p.Name switch
                {
                    "type" => TypesOf(v, out node.Types),
                    "enum" => EnumOf(v, node),
                    "oneOf" => v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0 && Children(v, refs, out node.OneOf),
                    "properties" => v.ValueKind == JsonValueKind.Object,
                    "required" => v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String)
                        && (required = [.. v.EnumerateArray().Select(x => x.GetString()!).Distinct(StringComparer.Ordinal)]) is not null,
                    "additionalProperties" => v.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => !(node.AllowAdditional = false),
                        JsonValueKind.Object => Fill(node.Additional = new Node(), v, refs),
                        _ => false,
                    },
                    "items" => v.ValueKind == JsonValueKind.Object && Fill(node.Items = new Node(), v, refs),
                    "minItems" => Count(v, out node.MinItems),
                    "minLength" => Count(v, out node.MinLength),
                    "maxLength" => Count(v, out node.MaxLength),
                    "minimum" => Limit(v, out node.Minimum),
                    "maximum" => Limit(v, out node.Maximum),
                    "pattern" => v.ValueKind == JsonValueKind.String && (node.Pattern = new Regex(v.GetString()!)) is not null,
                    "format" => v.ValueKind == JsonValueKind.String && (node.DateTime = v.GetString() == "date-time"),
                    _ => Ignored.Contains(p.Name),
                };
                if (!ok)
                {
                    return false;
                }
            }
            if (e.TryGetProperty("properties", out var props))
            {
                required ??= [];
                node.Properties = new Dictionary<string, (Node, int)>(StringComparer.Ordinal);
                foreach (var p in props.EnumerateObject())
                {
                    var child = new Node();
                    if (!Fill(child, p.Value, refs))
                    {
                        return false;
                    }
                    node.Properties[p.Name] = (child, required.IndexOf(p.Name));
                }
                node.Names = [.. node.Properties.Keys.Select(System.Text.Encoding.UTF8.GetBytes)];
                node.Entries = [.. node.Properties.Values];
            }
            if (required is { Count: > 0 })
            {
                node.RequiredUnchecked = required.Count > 64 || node.Properties is null || required.Any(x => !node.Properties.ContainsKey(x));
                node.AllRequired = required.Count >= 64 ? ulong.MaxValue : (1UL << required.Count) - 1;
            }
            return true;
        }

        private static bool Children(JsonElement array, List<(Node, string)> refs, out Node[] nodes)
        {
            nodes = [.. array.EnumerateArray().Select(_ => new Node())];
            var i = 0;
            foreach (var item in array.EnumerateArray())
            {
                if (!Fill(nodes[i++], item, refs))
                {
                    return false;
                }
            }
            return true;
        }

        private static bool TypesOf(JsonElement v, out Types types)
        {
            types = Types.Any;
            var names = v.ValueKind switch
            {
                JsonValueKind.String => [v.GetString()!],
                JsonValueKind.Array when v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String) => v.EnumerateArray().Select(x => x.GetString()!).ToList(),
                _ => null,
            };
            if (names is null or { Count: 0 })
            {
                return false;
            }
            foreach (var n in names)
            {
                var t = n switch
                {
                    "null" => Types.Null,
                    "boolean" => Types.Boolean,
                    "integer" => Types.Integer,
                    "number" => Types.Number,
                    "string" => Types.String,
                    "array" => Types.Array,
                    "object" => Types.Object,
                    _ => Types.Any,
                };
                if (t == Types.Any)
                {
                    return false;
                }
                types |= t;
            }
            return true;
        }

        private static bool EnumOf(JsonElement v, Node node)
        {
            if (v.ValueKind != JsonValueKind.Array)
            {
                return false;
            }
            var values = new List<byte[]>();
            foreach (var x in v.EnumerateArray())
            {
                switch (x.ValueKind)
                {
                    case JsonValueKind.String:
                        values.Add(System.Text.Encoding.UTF8.GetBytes(x.GetString()!));
                        break;
                    case JsonValueKind.Null:
                        node.EnumNull = true;
                        break;
                    default:
                        // Numbers, booleans and containers in enums are not used by our schemas: such values are never vouched for.
                        break;
                }
            }
            node.Enum = [.. values];
            return true;
        }

        private static bool Count(JsonElement v, out int? value)
        {
            value = v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= 0 ? n : null;
            return value is not null;
        }

        private static bool Limit(JsonElement v, out decimal? value)
        {
            value = v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var d) ? d : null;
            return value is not null;
        }
    }

    /// <summary>Checks the value the reader is on and leaves the reader on its last token.</summary>
    private static bool Value(ref Utf8JsonReader reader, Node node)
    {
        var s = node.Actual;
        if (s.OneOf.Length > 0)
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
        if (s.Enum is not null && !InEnum(ref reader, s))
        {
            return false;
        }
        var type = s.Types;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return type == Types.Any || type.HasFlag(Types.Null);
            case JsonTokenType.True:
            case JsonTokenType.False:
                return type == Types.Any || type.HasFlag(Types.Boolean);
            case JsonTokenType.Number:
                return Number(ref reader, s, type);
            case JsonTokenType.String:
                return (type == Types.Any || type.HasFlag(Types.String)) && String(ref reader, s);
            case JsonTokenType.StartArray:
                if (type != Types.Any && !type.HasFlag(Types.Array))
                {
                    return false;
                }
                var count = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    count++;
                    if (s.Items is not null)
                    {
                        if (!Value(ref reader, s.Items))
                        {
                            return false;
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                return s.MinItems is not { } min || count >= min;
            case JsonTokenType.StartObject:
                return (type == Types.Any || type.HasFlag(Types.Object)) && Object(ref reader, s);
            default:
                return false;
        }
    }

    private static bool Object(ref Utf8JsonReader reader, Node s)
    {
        if (s.RequiredUnchecked)
        {
            return false;
        }
        var found = 0UL;
        var names = s.Names;
        var next = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            (Node Node, int RequiredBit) property = default;
            var known = false;
            if (names.Length > 0)
            {
                if (!reader.HasValueSequence && !reader.ValueIsEscaped)
                {
                    // Documents written from the models list properties in schema order: start at the one after the last match.
                    var name = reader.ValueSpan;
                    for (var k = 0; k < names.Length; k++)
                    {
                        var j = next + k < names.Length ? next + k : next + k - names.Length;
                        if (name.SequenceEqual(names[j]))
                        {
                            property = s.Entries[j];
                            known = true;
                            next = j + 1 < names.Length ? j + 1 : 0;
                            break;
                        }
                    }
                }
                else
                {
                    known = s.Properties!.TryGetValue(reader.GetString()!, out property);
                }
            }
            if (!reader.Read())
            {
                return false;
            }
            if (known)
            {
                if (!Value(ref reader, property.Node!))
                {
                    return false;
                }
                if (property.RequiredBit >= 0)
                {
                    found |= 1UL << property.RequiredBit;
                }
            }
            else if (!s.AllowAdditional)
            {
                return false;
            }
            else if (s.Additional is not null)
            {
                if (!Value(ref reader, s.Additional))
                {
                    return false;
                }
            }
            else
            {
                reader.Skip();
            }
        }
        return found == s.AllRequired;
    }

    private static bool Number(ref Utf8JsonReader reader, Node s, Types type)
    {
        var isInteger = !reader.HasValueSequence && reader.ValueSpan.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0;
        if (type != Types.Any && !type.HasFlag(Types.Number) && !(isInteger && type.HasFlag(Types.Integer)))
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

    private static bool String(ref Utf8JsonReader reader, Node s)
    {
        if (s.MinLength is null && s.MaxLength is null && s.Pattern is null && !s.DateTime)
        {
            return true;
        }
        var value = reader.GetString()!;
        if ((s.MinLength is { } min && value.Length < min) || (s.MaxLength is { } max && value.Length > max))
        {
            return false;
        }
        if (s.Pattern is { } pattern && !pattern.IsMatch(value))
        {
            return false;
        }
        // Strict ISO 8601 with offset; NJsonSchema is more lenient, so this only sends odd dates to the full validator.
        return !s.DateTime || DateTimeOffset.TryParseExact(value, IsoFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
    }

    private static readonly string[] IsoFormats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    private static bool InEnum(ref Utf8JsonReader reader, byte[][] values)
    {
        foreach (var v in values)
        {
            if (reader.ValueTextEquals(v))
            {
                return true;
            }
        }
        return false;
    }

    private static bool InEnum(ref Utf8JsonReader reader, Node s) => reader.TokenType switch
    {
        JsonTokenType.Null => s.EnumNull,
        JsonTokenType.String => InEnum(ref reader, s.Enum!),
        // Numbers, booleans and containers: let NJsonSchema decide.
        _ => false,
    };
}
