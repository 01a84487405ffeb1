using System.Globalization;
using System.Text.Json.Nodes;

namespace Audit.Rules.Testing;

/// <summary>
/// Edits a snapshot document by path, for rule cases: <c>hosts[ZULU].vms[SQL01].guest.osVersion</c>. An array selector
/// is an index or the value of the item's name, samAccountName or collector property. A path that names nothing is a
/// <see cref="SnapshotPatchException"/>, never a silent no-op (a case must not pass because its edit missed).
/// </summary>
public static class SnapshotPatch
{
    private static readonly string[] SelectorKeys = ["name", "samAccountName", "collector"];

    /// <summary>Sets the property at <paramref name="path"/> (created when its parent exists).</summary>
    public static void Set(JsonNode root, string path, JsonNode? value)
    {
        var (parent, last) = Walk(root, path);
        if (parent is not JsonObject o)
        {
            throw new SnapshotPatchException(path, "its parent is not an object");
        }
        o[last] = value;
    }

    /// <summary>Appends <paramref name="value"/> to the array at <paramref name="path"/>.</summary>
    public static void Append(JsonNode root, string path, JsonNode value)
    {
        var (parent, last) = Walk(root, path);
        if (parent[last] is not JsonArray array)
        {
            throw new SnapshotPatchException(path, "is not an array");
        }
        array.Add(value);
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
            if (name.Length == 0)
            {
                throw new SnapshotPatchException(path, "has an empty segment");
            }
            if (i == segments.Length - 1 && bracket < 0)
            {
                return (node, name);
            }
            node = (node as JsonObject)?[name] ?? throw new SnapshotPatchException(path, $"'{name}' not found");
            if (bracket >= 0)
            {
                if (!seg.EndsWith(']') || node is not JsonArray array)
                {
                    throw new SnapshotPatchException(path, $"'{seg}' selects an item of something that is not an array");
                }
                var selector = seg[(bracket + 1)..^1];
                node = Select(array, selector) ?? throw new SnapshotPatchException(path, $"no item '{selector}' in '{name}'");
                if (i == segments.Length - 1)
                {
                    throw new SnapshotPatchException(path, "cannot replace an array item; set one of its properties");
                }
            }
        }
        throw new SnapshotPatchException(path, "is empty");
    }

    private static JsonNode? Select(JsonArray array, string selector)
    {
        if (int.TryParse(selector, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return index < array.Count ? array[index] : null;
        }
        return array.FirstOrDefault(item => item is JsonObject o
            && SelectorKeys.Any(k => o[k] is JsonValue v && v.TryGetValue<string>(out var s) && s == selector));
    }
}

/// <summary>A snapshot edit whose path names nothing in the document.</summary>
internal sealed class SnapshotPatchException(string path, string problem) : Exception($"{path}: {problem}")
{
    public string Path { get; } = path;
}
