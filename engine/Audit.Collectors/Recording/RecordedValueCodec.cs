using System.Globalization;
using System.Text.Json;
using Audit.Collectors.Cim;

namespace Audit.Collectors.Recording;

/// <summary>
/// Values as MI hands them over, to and from JSON without losing their .NET type: integers of every width, booleans,
/// strings, DateTime (ISO 8601 round-trip) and TimeSpan (CIM intervals), arrays of those, embedded instances.
/// A type it does not know is kept as its text with the type's name, so a recording still shows what arrived.
/// </summary>
public static class RecordedValueCodec
{
    public const string InstanceType = "instance";
    public const string InstanceArrayType = "instance[]";

    public static RecordedValue Encode(string name, object? value, string? cimType) => value switch
    {
        null => new RecordedValue { Name = name, CimType = cimType, ClrType = null, Value = Json(w => w.WriteNullValue()) },
        CimRecord r => new RecordedValue { Name = name, CimType = cimType, ClrType = InstanceType, Value = Json(w => WriteInstance(w, Instance(r))) },
        IEnumerable<CimRecord> rs => new RecordedValue { Name = name, CimType = cimType, ClrType = InstanceArrayType, Value = Json(w => { w.WriteStartArray(); foreach (var r in rs) { WriteInstance(w, Instance(r)); } w.WriteEndArray(); }) },
        string or bool or byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal or char or DateTime or DateTimeOffset or TimeSpan
            => new RecordedValue { Name = name, CimType = cimType, ClrType = value.GetType().FullName, Value = Json(w => WriteScalar(w, value)) },
        Array a when a.GetType().GetElementType() is { } element && IsScalar(element)
            => new RecordedValue { Name = name, CimType = cimType, ClrType = a.GetType().FullName, Value = Json(w => { w.WriteStartArray(); foreach (var x in a) { if (x is null) { w.WriteNullValue(); } else { WriteScalar(w, x); } } w.WriteEndArray(); }) },
        _ => new RecordedValue { Name = name, CimType = cimType, ClrType = value.GetType().FullName, Value = Json(w => w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture))) },
    };

    public static RecordedInstance Instance(CimRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new RecordedInstance
        {
            Class = record.ClassName,
            Properties = [.. record.Properties.Select(p => Encode(p.Key, p.Value, record.CimTypeOf(p.Key)))],
        };
    }

    public static CimRecord ToRecord(RecordedInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var types = instance.Properties.Where(p => p.CimType is not null).ToDictionary(p => p.Name, p => p.CimType!, StringComparer.OrdinalIgnoreCase);
        return new CimRecord(instance.Class, instance.Properties.Select(p => new KeyValuePair<string, object?>(p.Name, Decode(p))), cimTypes: types);
    }

    /// <summary>The .NET value a recorded value stood for (the same type MI gave, for every type named here).</summary>
    public static object? Decode(RecordedValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var v = value.Value;
        if (v.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return null;
        }
        switch (value.ClrType)
        {
            case InstanceType:
                return ToRecord(ReadInstance(v));
            case InstanceArrayType:
                return v.EnumerateArray().Select(x => ToRecord(ReadInstance(x))).ToArray();
        }
        if (value.ClrType is { } t && t.EndsWith("[]", StringComparison.Ordinal))
        {
            var elementType = t[..^2];
            var items = v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Null ? null : Scalar(elementType, x)).ToList();
            return elementType switch
            {
                "System.String" => items.Cast<string?>().ToArray(),
                "System.Boolean" => items.Select(x => (bool)x!).ToArray(),
                "System.Byte" => items.Select(x => (byte)x!).ToArray(),
                "System.SByte" => items.Select(x => (sbyte)x!).ToArray(),
                "System.Int16" => items.Select(x => (short)x!).ToArray(),
                "System.UInt16" => items.Select(x => (ushort)x!).ToArray(),
                "System.Int32" => items.Select(x => (int)x!).ToArray(),
                "System.UInt32" => items.Select(x => (uint)x!).ToArray(),
                "System.Int64" => items.Select(x => (long)x!).ToArray(),
                "System.UInt64" => items.Select(x => (ulong)x!).ToArray(),
                "System.DateTime" => items.Select(x => (DateTime)x!).ToArray(),
                "System.TimeSpan" => items.Select(x => (TimeSpan)x!).ToArray(),
                _ => items.ToArray(),
            };
        }
        return Scalar(value.ClrType ?? "System.String", v);
    }

    private static object? Scalar(string type, JsonElement v) => type switch
    {
        "System.String" => v.GetString(),
        "System.Char" => v.GetString() is { Length: 1 } c ? c[0] : v.GetString(),
        "System.Boolean" => v.GetBoolean(),
        "System.Byte" => byte.Parse(Number(v), CultureInfo.InvariantCulture),
        "System.SByte" => sbyte.Parse(Number(v), CultureInfo.InvariantCulture),
        "System.Int16" => short.Parse(Number(v), CultureInfo.InvariantCulture),
        "System.UInt16" => ushort.Parse(Number(v), CultureInfo.InvariantCulture),
        "System.Int32" => int.Parse(Number(v), CultureInfo.InvariantCulture),
        "System.UInt32" => uint.Parse(Number(v), CultureInfo.InvariantCulture),
        "System.Int64" => long.Parse(Number(v), CultureInfo.InvariantCulture),
        "System.UInt64" => ulong.Parse(Number(v), CultureInfo.InvariantCulture),
        "System.Single" => v.GetSingle(),
        "System.Double" => v.GetDouble(),
        "System.Decimal" => v.GetDecimal(),
        "System.DateTime" => DateTime.Parse(v.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
        "System.DateTimeOffset" => DateTimeOffset.Parse(v.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
        "System.TimeSpan" => TimeSpan.ParseExact(v.GetString()!, "c", CultureInfo.InvariantCulture),
        _ => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText(),
    };

    private static string Number(JsonElement v) => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();

    private static bool IsScalar(Type t) => t == typeof(string) || t == typeof(bool) || t == typeof(char) || t == typeof(DateTime) || t == typeof(TimeSpan) || t.IsPrimitive;

    private static void WriteScalar(Utf8JsonWriter w, object value)
    {
        switch (value)
        {
            case string s: w.WriteStringValue(s); break;
            case char c: w.WriteStringValue(c.ToString()); break;
            case bool b: w.WriteBooleanValue(b); break;
            // 64-bit integers as text: JSON readers lose precision past 2^53.
            case long l: w.WriteStringValue(l.ToString(CultureInfo.InvariantCulture)); break;
            case ulong ul: w.WriteStringValue(ul.ToString(CultureInfo.InvariantCulture)); break;
            case float f: w.WriteNumberValue(f); break;
            case double d: w.WriteNumberValue(d); break;
            case decimal m: w.WriteNumberValue(m); break;
            case DateTime dt: w.WriteStringValue(dt.ToString("O", CultureInfo.InvariantCulture)); break;
            case DateTimeOffset dto: w.WriteStringValue(dto.ToString("O", CultureInfo.InvariantCulture)); break;
            case TimeSpan ts: w.WriteStringValue(ts.ToString("c", CultureInfo.InvariantCulture)); break;
            case IConvertible n: w.WriteNumberValue(n.ToInt64(CultureInfo.InvariantCulture)); break;
            default: w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }

    private static void WriteInstance(Utf8JsonWriter w, RecordedInstance instance) => JsonSerializer.Serialize(w, instance, Core.AuditJson.Compact);

    private static RecordedInstance ReadInstance(JsonElement e) => e.Deserialize<RecordedInstance>(Core.AuditJson.Compact)
        ?? throw new JsonException("an embedded instance is null");

    private static JsonElement Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }
        using var doc = JsonDocument.Parse(buffer.ToArray());
        return doc.RootElement.Clone();
    }

    public static RecordedFault Fault(CimFault fault, CimErrorCode classifiedAs) => new()
    {
        NativeErrorCode = fault.NativeErrorCode,
        MessageId = fault.MessageId,
        Message = fault.Message,
        ErrorDataClass = fault.ErrorDataClass,
        ErrorData = fault.ErrorDataClass is null && fault.ErrorData.Count == 0 ? null : [.. fault.ErrorData.Select(p => Encode(p.Key, p.Value, null))],
        ExceptionType = fault.ExceptionType,
        ClassifiedAs = classifiedAs.ToString(),
    };

    public static CimFault Fault(RecordedFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        return new CimFault
        {
            NativeErrorCode = fault.NativeErrorCode,
            MessageId = fault.MessageId,
            Message = fault.Message,
            ErrorDataClass = fault.ErrorDataClass,
            ErrorData = (fault.ErrorData ?? []).ToDictionary(p => p.Name, Decode, StringComparer.OrdinalIgnoreCase),
            ExceptionType = fault.ExceptionType,
        };
    }
}
