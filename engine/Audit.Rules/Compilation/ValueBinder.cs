using System.Globalization;
using System.Linq.Dynamic.Core;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Audit.Rules.Compilation;

/// <summary>
/// Turns rule-set parameters and lookups (JSON) into typed objects that expressions reach as <c>params.x</c> and
/// <c>lookups.y</c>. Typed, so an unknown name or a wrong type is a load error, not a silent false at run time.
/// </summary>
internal static partial class ValueBinder
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    internal static partial Regex Identifier();

    public static Type ClrType(string parameterType) => parameterType switch
    {
        "boolean" => typeof(bool),
        "integer" => typeof(int),
        "number" => typeof(double),
        "string" => typeof(string),
        "version" => typeof(Version),
        "stringList" => typeof(IReadOnlyList<string>),
        "groups" => typeof(IReadOnlyList<IReadOnlyList<string>>),
        _ => throw new ArgumentOutOfRangeException(nameof(parameterType), parameterType, "unknown parameter type"),
    };

    /// <summary>Converts a JSON value to a parameter's type; returns an error sentence instead of throwing.</summary>
    public static object? FromJson(ParameterDefinition def, JsonElement v, out string? error)
    {
        error = null;
        object? result = null;
        switch (def.Type)
        {
            case "boolean" when v.ValueKind is JsonValueKind.True or JsonValueKind.False:
                result = v.GetBoolean();
                break;
            case "integer" when v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i):
                result = i;
                break;
            case "number" when v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d):
                result = d;
                break;
            case "string" when v.ValueKind == JsonValueKind.String:
                result = v.GetString();
                break;
            case "version" when v.ValueKind == JsonValueKind.String && Version.TryParse(v.GetString(), out var ver):
                result = ver;
                break;
            case "stringList" when v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String):
                result = Array.AsReadOnly(v.EnumerateArray().Select(e => e.GetString()!).ToArray());
                break;
            case "groups" when v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(g => g.ValueKind == JsonValueKind.Array && g.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)):
                result = Array.AsReadOnly(v.EnumerateArray().Select(g => (IReadOnlyList<string>)Array.AsReadOnly(g.EnumerateArray().Select(e => e.GetString()!).ToArray())).ToArray());
                break;
            default:
                error = $"value {Truncate(v.GetRawText())} is not a valid {def.Type}";
                return null;
        }
        if (result is int or double)
        {
            var n = Convert.ToDouble(result, CultureInfo.InvariantCulture);
            if (def.Minimum is { } min && n < min)
            {
                error = $"value {n.ToString(CultureInfo.InvariantCulture)} is below the minimum {min.ToString(CultureInfo.InvariantCulture)}";
            }
            else if (def.Maximum is { } max && n > max)
            {
                error = $"value {n.ToString(CultureInfo.InvariantCulture)} is above the maximum {max.ToString(CultureInfo.InvariantCulture)}";
            }
        }
        return result;
    }

    /// <summary>Parses a command-line override (<c>--param name=value</c>) for a parameter of the given type.</summary>
    public static object? FromText(ParameterDefinition def, string text, out string? error)
    {
        var t = text.Trim();
        JsonElement json;
        try
        {
            json = def.Type switch
            {
                "string" or "version" => JsonSerializer.SerializeToElement(t),
                "stringList" when !t.StartsWith('[') => JsonSerializer.SerializeToElement(t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
                "groups" when !t.StartsWith('[') => JsonSerializer.SerializeToElement(t.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray()),
                _ => JsonDocument.Parse(t).RootElement.Clone(),
            };
        }
        catch (JsonException)
        {
            error = $"'{Truncate(t)}' is not a valid {def.Type}";
            return null;
        }
        return FromJson(def, json, out error);
    }

    /// <summary>A lookup's typed value, or an error sentence.</summary>
    public static (Type Type, object Value)? Lookup(LookupDefinition def, out string? error)
    {
        error = null;
        var v = def.Values;
        switch (def.Kind)
        {
            case "map":
                if (v.ValueKind != JsonValueKind.Object || v.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
                {
                    error = "a map lookup's values must be an object of strings";
                    return null;
                }
                var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var p in v.EnumerateObject())
                {
                    if (!map.TryAdd(p.Name, p.Value.GetString()!))
                    {
                        error = $"map key '{p.Name}' appears twice (keys are case-insensitive)";
                        return null;
                    }
                }
                return (typeof(IReadOnlyDictionary<string, string>), map.AsReadOnly());
            case "list":
                if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                {
                    error = "a list lookup's values must be an array of strings";
                    return null;
                }
                return (typeof(IReadOnlyList<string>), Array.AsReadOnly(v.EnumerateArray().Select(e => e.GetString()!).ToArray()));
            case "table":
                return Table(v, out error);
            default:
                error = $"unknown lookup kind '{def.Kind}'";
                return null;
        }
    }

    private static (Type Type, object Value)? Table(JsonElement v, out string? error)
    {
        error = null;
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0 || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Object))
        {
            error = "a table lookup's values must be a non-empty array of objects";
            return null;
        }
        // Infer one type per field across all rows.
        var fields = new SortedDictionary<string, Type>(StringComparer.Ordinal);
        foreach (var row in v.EnumerateArray())
        {
            foreach (var p in row.EnumerateObject())
            {
                if (!Identifier().IsMatch(p.Name))
                {
                    error = $"table field '{p.Name}' is not an identifier";
                    return null;
                }
                Type? t = p.Value.ValueKind switch
                {
                    JsonValueKind.String => typeof(string),
                    JsonValueKind.True or JsonValueKind.False => typeof(bool?),
                    JsonValueKind.Number => p.Value.TryGetInt32(out _) ? typeof(int?) : typeof(double?),
                    JsonValueKind.Array when p.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) => typeof(IReadOnlyList<string>),
                    JsonValueKind.Null => null,
                    _ => typeof(void),
                };
                if (t == typeof(void))
                {
                    error = $"table field '{p.Name}' has a value that is not a string, number, boolean or list of strings";
                    return null;
                }
                if (t is null)
                {
                    continue;
                }
                if (fields.TryGetValue(p.Name, out var existing) && existing != t)
                {
                    if ((existing == typeof(int?) && t == typeof(double?)) || (existing == typeof(double?) && t == typeof(int?)))
                    {
                        fields[p.Name] = typeof(double?);
                        continue;
                    }
                    error = $"table field '{p.Name}' has values of different types";
                    return null;
                }
                fields[p.Name] = t;
            }
        }
        var rowType = DynamicClassFactory.CreateType([.. fields.Select(f => new DynamicProperty(f.Key, f.Value))], createParameterCtor: false);
        var listType = typeof(List<>).MakeGenericType(rowType);
        var list = (System.Collections.IList)Activator.CreateInstance(listType)!;
        foreach (var row in v.EnumerateArray())
        {
            var obj = Activator.CreateInstance(rowType)!;
            foreach (var p in row.EnumerateObject())
            {
                var ft = fields.GetValueOrDefault(p.Name);
                if (ft is null)
                {
                    continue;
                }
                object? value = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.True or JsonValueKind.False => p.Value.GetBoolean(),
                    JsonValueKind.Number when ft == typeof(int?) => p.Value.GetInt32(),
                    JsonValueKind.Number => p.Value.GetDouble(),
                    JsonValueKind.Array => Array.AsReadOnly(p.Value.EnumerateArray().Select(e => e.GetString()!).ToArray()),
                    _ => null,
                };
                rowType.GetProperty(p.Name)!.SetValue(obj, value);
            }
            list.Add(obj);
        }
        return (typeof(IReadOnlyList<>).MakeGenericType(rowType), list);
    }

    /// <summary>Builds one object with a typed property per (name, type, value), for params and lookups.</summary>
    public static (Type Type, object Value) Object(IReadOnlyList<(string Name, Type Type, object? Value)> properties)
    {
        if (properties.Count == 0)
        {
            return (typeof(NoValues), new NoValues());
        }
        var type = DynamicClassFactory.CreateType([.. properties.Select(p => new DynamicProperty(p.Name, p.Type))], createParameterCtor: false);
        var obj = Activator.CreateInstance(type)!;
        foreach (var (name, _, value) in properties)
        {
            type.GetProperty(name)!.SetValue(obj, value);
        }
        return (type, obj);
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";
}

/// <summary>The params or lookups object of a rule set that declares none.</summary>
public sealed class NoValues
{
}
