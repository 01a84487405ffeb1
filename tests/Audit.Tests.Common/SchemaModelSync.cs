using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Audit.Tests.Common;

/// <summary>
/// Keeps a hand-written JSON schema and its C# model in step: every model property has a schema property of a
/// compatible type and vice versa, recursively. Used for snapshot (here) and by other test projects for their schemas.
/// </summary>
public static class SchemaModelSync
{
    public static IReadOnlyList<string> Differences(Type rootType, string schemaText)
    {
        var schema = JsonNode.Parse(schemaText)!.AsObject();
        var defs = schema["definitions"]?.AsObject();
        var problems = new List<string>();
        var visited = new HashSet<Type>();
        Compare(rootType, schema, "#", defs, problems, visited);
        return problems;
    }

    private static JsonObject Resolve(JsonObject node, JsonObject? defs)
    {
        if (node["$ref"] is JsonValue r)
        {
            var name = r.GetValue<string>().Split('/')[^1];
            return defs![name]!.AsObject();
        }
        if (node["oneOf"] is JsonArray one)
        {
            foreach (var alt in one)
            {
                var o = alt!.AsObject();
                if (o["$ref"] is not null)
                {
                    return Resolve(o, defs);
                }
            }
        }
        return node;
    }

    private static void Compare(Type type, JsonObject node, string path, JsonObject? defs, List<string> problems, HashSet<Type> visited)
    {
        node = Resolve(node, defs);
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsObjectModel(type))
        {
            if (!visited.Add(type))
            {
                return;
            }
            var props = node["properties"]?.AsObject();
            if (props is null)
            {
                problems.Add($"{path}: schema has no properties for {type.Name}");
                return;
            }
            if (node["additionalProperties"] is not JsonValue ap || ap.GetValue<bool>())
            {
                problems.Add($"{path}: schema for {type.Name} should set additionalProperties: false");
            }
            // What System.Text.Json writes: public properties not ignored, and non-public ones it is told to include.
            var modelProps = type.GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
                .Where(p => p.GetMethod is not null && p.GetIndexParameters().Length == 0
                    && (p.GetCustomAttribute<JsonIncludeAttribute>() is not null || (p.GetMethod.IsPublic && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)))
                .ToDictionary(JsonName, p => p, StringComparer.Ordinal);
            foreach (var (name, p) in modelProps)
            {
                if (props[name] is not JsonObject child)
                {
                    problems.Add($"{path}.{name}: in model {type.Name} but not in schema");
                    continue;
                }
                Compare(p.PropertyType, child, $"{path}.{name}", defs, problems, visited);
            }
            foreach (var (name, _) in props)
            {
                if (name != "$schema" && !modelProps.ContainsKey(name))
                {
                    problems.Add($"{path}.{name}: in schema but not in model {type.Name}");
                }
            }
            return;
        }
        var kinds = Types(node);
        var expected = ExpectedKind(type);
        if (expected is null)
        {
            return;
        }
        if (kinds.Count > 0 && !kinds.Contains(expected))
        {
            problems.Add($"{path}: model type {type.Name} is '{expected}' but schema says {string.Join("|", kinds)}");
            return;
        }
        if (expected == "array")
        {
            var element = ElementType(type);
            if (element is not null && node["items"] is JsonObject items)
            {
                Compare(element, items, path + "[]", defs, problems, visited);
            }
        }
        if (expected == "object" && DictionaryValueType(type) is { } valueType && node["additionalProperties"] is JsonObject ap2)
        {
            Compare(valueType, ap2, path + "{}", defs, problems, visited);
        }
    }

    private static List<string> Types(JsonObject node) => node["type"] switch
    {
        JsonValue v => [v.GetValue<string>()],
        JsonArray a => [.. a.Select(x => x!.GetValue<string>())],
        _ => [],
    };

    private static string JsonName(PropertyInfo p) =>
        p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? char.ToLowerInvariant(p.Name[0]) + p.Name[1..];

    private static bool IsObjectModel(Type t) => t.IsClass && t != typeof(string) && t.Namespace?.StartsWith("Audit", StringComparison.Ordinal) == true;

    private static string? ExpectedKind(Type t)
    {
        if (t == typeof(string) || t == typeof(DateTimeOffset) || t == typeof(DateTime) || t.IsEnum)
        {
            return "string";
        }
        if (t == typeof(bool))
        {
            return "boolean";
        }
        if (t == typeof(int) || t == typeof(long))
        {
            return "integer";
        }
        if (t == typeof(double) || t == typeof(decimal))
        {
            return "number";
        }
        if (DictionaryValueType(t) is not null)
        {
            return "object";
        }
        if (ElementType(t) is not null)
        {
            return "array";
        }
        return null;
    }

    private static Type? DictionaryValueType(Type t)
    {
        var i = t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>) ? t
            : t.GetInterfaces().FirstOrDefault(x => x.IsGenericType && x.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>));
        return i?.GetGenericArguments()[1];
    }

    private static Type? ElementType(Type t)
    {
        if (t == typeof(string))
        {
            return null;
        }
        if (t.IsArray)
        {
            return t.GetElementType();
        }
        var i = t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IEnumerable<>) ? t
            : t.GetInterfaces().FirstOrDefault(x => x.IsGenericType && x.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return i?.GetGenericArguments()[0];
    }
}
