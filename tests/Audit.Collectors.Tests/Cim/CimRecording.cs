using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Audit.Collectors.Cim;
using Audit.Tests.Common;
using Moq;

namespace Audit.Collectors.Tests.Cim;

/// <summary>
/// CIM responses of one host scenario, read from Fixtures/cim/NAME.json: WQL queries (namespace + exact text) with their
/// instances or error, and method calls (class or instance class, method, arguments) with ReturnValue and out
/// parameters. Instances are JSON objects with "$class"; nested objects with "$class" are embedded instances.
/// A fixture may name a "base" fixture and override some of its entries.
/// </summary>
public sealed class CimRecording
{
    public sealed record Query(string Namespace, string Wql, IReadOnlyList<CimRecord>? Instances, CimErrorCode? Error, string? Message);

    public sealed record Method(string Namespace, string ClassName, bool OnInstance, string Name, IReadOnlyDictionary<string, string?> Arguments, long? ReturnValue, CimRecord Out);

    public required string Host { get; init; }
    public required string Scenario { get; init; }
    public required IReadOnlyList<Query> Queries { get; init; }
    public required IReadOnlyList<Method> Methods { get; init; }

    public static string Folder => Path.Combine(RepoPaths.Fixtures("Audit.Collectors.Tests"), "cim");

    public static CimRecording Load(string name)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, name)))!.AsObject();
        var queries = new List<Query>();
        var methods = new List<Method>();
        var host = (string?)json["host"];
        if (json["base"] is JsonValue b)
        {
            var parent = Load((string)b!);
            queries.AddRange(parent.Queries);
            methods.AddRange(parent.Methods);
            host ??= parent.Host;
        }
        foreach (var q in json["queries"]?.AsArray() ?? [])
        {
            var query = new Query((string)q!["namespace"]!, (string)q["query"]!,
                q["instances"] is JsonArray a ? [.. a.Select(i => ToRecord(i!.AsObject()))] : null,
                q["error"] is JsonObject e ? Enum.Parse<CimErrorCode>((string)e["code"]!) : null,
                (string?)q["error"]?["message"]);
            queries.RemoveAll(x => x.Namespace == query.Namespace && x.Wql == query.Wql);
            queries.Add(query);
        }
        foreach (var m in json["methods"]?.AsArray() ?? [])
        {
            var onInstance = m!["instanceClass"] is not null;
            var args = m["arguments"]!.AsObject().ToDictionary(p => p.Key, p => p.Value is null ? null : Text(p.Value), StringComparer.Ordinal);
            var method = new Method((string)m["namespace"]!, (string)(m["instanceClass"] ?? m["class"])!, onInstance, (string)m["method"]!, args,
                (long?)m["returnValue"], new CimRecord("__PARAMETERS", m["out"]!.AsObject().Select(p => new KeyValuePair<string, object?>(p.Key, ToValue(p.Value)))));
            methods.RemoveAll(x => x.Namespace == method.Namespace && x.ClassName == method.ClassName && x.Name == method.Name && SameArgs(x.Arguments, method.Arguments));
            methods.Add(method);
        }
        return new CimRecording { Host = host!, Scenario = (string?)json["scenario"] ?? name, Queries = queries, Methods = methods };
    }

    /// <summary>A strict Moq session: any call not recorded fails the test.</summary>
    public Mock<ICimSession> Mock()
    {
        var mock = new Mock<ICimSession>(MockBehavior.Strict);
        mock.SetupGet(s => s.ComputerName).Returns(Host);
        foreach (var q in Queries)
        {
            var setup = mock.Setup(s => s.QueryAsync(q.Namespace, q.Wql, It.IsAny<CancellationToken>()));
            if (q.Error is { } code)
            {
                setup.ThrowsAsync(new CimException(code, $"{q.Namespace}: {q.Wql}: {code}: {q.Message}"));
            }
            else
            {
                setup.ReturnsAsync(q.Instances!);
            }
        }
        foreach (var m in Methods)
        {
            var output = new CimMethodOutput(m.ReturnValue, m.Out);
            if (m.OnInstance)
            {
                mock.Setup(s => s.InvokeAsync(m.Namespace, It.Is<CimRecord>(r => r.ClassName == m.ClassName), m.Name, It.Is<IReadOnlyDictionary<string, object?>>(a => Matches(a, m.Arguments)), It.IsAny<CancellationToken>()))
                    .ReturnsAsync(output);
            }
            else
            {
                mock.Setup(s => s.InvokeStaticAsync(m.Namespace, m.ClassName, m.Name, It.Is<IReadOnlyDictionary<string, object?>>(a => Matches(a, m.Arguments)), It.IsAny<CancellationToken>()))
                    .ReturnsAsync(output);
            }
        }
        return mock;
    }

    internal static bool Matches(IReadOnlyDictionary<string, object?> actual, IReadOnlyDictionary<string, string?> recorded) =>
        actual.Count == recorded.Count && recorded.All(r => actual.TryGetValue(r.Key, out var v) && Text(v) == r.Value);

    private static bool SameArgs(IReadOnlyDictionary<string, string?> a, IReadOnlyDictionary<string, string?> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);

    private static string? Text(object? value) => value switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (string)v!,
        JsonNode n => n.ToJsonString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    internal static CimRecord ToRecord(JsonObject o) =>
        new((string)o["$class"]!, o.Where(p => p.Key != "$class").Select(p => new KeyValuePair<string, object?>(p.Key, ToValue(p.Value))));

    private static object? ToValue(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => ToRecord(o),
        JsonArray a when a.All(x => x is JsonObject) && a.Count > 0 => a.Select(x => ToRecord(x!.AsObject())).ToArray(),
        JsonArray a when a.All(x => x is JsonValue v && v.GetValueKind() == JsonValueKind.String) => a.Select(x => (string)x!).ToArray(),
        JsonArray a => a.Select(ToValue).ToArray(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => (string)v!,
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => (long)v,
            _ => null,
        },
        _ => null,
    };
}
