using System.Globalization;
using System.Text.Json.Nodes;

namespace Audit.Rules.Tests;

/// <summary>
/// Edits a snapshot document by path, for scenario fixtures: <c>hosts[ZULU].vms[SQL01].guest.osVersion</c>. An array
/// selector is an index or a value of the item's name / samAccountName / collector property. Unknown paths fail the test.
/// </summary>
internal static class SnapshotPatch
{
    public static void Set(JsonNode root, string path, JsonNode? value)
    {
        var (parent, last) = Walk(root, path);
        if (parent is JsonObject o)
        {
            o[last] = value;
        }
        else
        {
            throw new InvalidOperationException($"cannot set {path}");
        }
    }

    public static void Append(JsonNode root, string path, JsonNode value)
    {
        var (parent, last) = Walk(root, path);
        var target = parent[last] ?? throw new InvalidOperationException($"{path} is null");
        target.AsArray().Add(value);
    }

    private static (JsonNode Parent, string Last) Walk(JsonNode root, string path)
    {
        var segments = path.Split('.');
        var node = root;
        for (var i = 0; i < segments.Length; i++)
        {
            var seg = segments[i];
            var bracket = seg.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? seg : seg[..bracket];
            if (i == segments.Length - 1 && bracket < 0)
            {
                return (node, name);
            }
            node = node[name] ?? throw new InvalidOperationException($"{path}: '{name}' not found");
            if (bracket >= 0)
            {
                var selector = seg[(bracket + 1)..^1];
                node = Select(node.AsArray(), selector) ?? throw new InvalidOperationException($"{path}: no item '{selector}' in '{name}'");
                if (i == segments.Length - 1)
                {
                    throw new InvalidOperationException($"{path}: cannot replace an array item; set one of its properties");
                }
            }
        }
        throw new InvalidOperationException(path);
    }

    private static JsonNode? Select(JsonArray array, string selector)
    {
        if (int.TryParse(selector, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return array[index];
        }
        return array.FirstOrDefault(item => item is JsonObject o && new[] { "name", "samAccountName", "collector" }.Any(k => o[k]?.GetValue<string>() == selector));
    }
}
