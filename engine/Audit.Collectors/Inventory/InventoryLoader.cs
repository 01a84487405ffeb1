using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Audit.Collectors.Cim;
using Audit.Core;
using Audit.Core.Loading;
using Audit.Core.Schema;

namespace Audit.Collectors.Inventory;

/// <summary>
/// Reads the hosts to collect: a text file (one host name per line, <c>#</c> starts a comment), a JSON file
/// (<c>{"hosts": [{"name": "hv1", "cluster": "HVCLU1", "migrationGroup": "G1"}]}</c> or just the array), or a
/// comma-separated list. Problems come back as diagnostics with file, line and column; duplicate hosts (by snapshot
/// name) are refused.
/// </summary>
public static partial class InventoryLoader
{
    public const long MaxBytes = 16 * 1024 * 1024;

    [GeneratedRegex(@"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$")]
    private static partial Regex HostNamePattern();

    public static bool IsValidName(string name) => IPAddress.TryParse(name, out _) || HostNamePattern().IsMatch(name);

    public static IReadOnlyList<InventoryHost> Load(string path, string? displayPath = null)
    {
        displayPath ??= path;
        var bag = new DiagnosticBag();
        var bytes = InputFile.ReadAllBytes(path, MaxBytes, displayPath);
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.InvalidJson, DiagnosticLevel.Error, "hosts file is not valid UTF-8", displayPath));
        }
        var first = text.TrimStart();
        var hosts = first.StartsWith('{') || first.StartsWith('[') ? ParseJson(bytes, displayPath, bag) : ParseText(text, displayPath, bag);
        CheckDuplicates(hosts, bag);
        if (bag.HasErrors)
        {
            throw new InputException(bag.Sorted());
        }
        return [.. hosts.Select(h => h.Host)];
    }

    /// <summary>--hosts a,b:5986,[::1]:5986 (repeatable; see <see cref="HostAddress"/>). Errors name the option and the entry.</summary>
    public static IReadOnlyList<InventoryHost> ParseList(IEnumerable<string> values, string option = "--hosts")
    {
        var bag = new DiagnosticBag();
        var hosts = new List<Located>();
        foreach (var entry in values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!HostAddress.TryParse(entry, out var address, out var error))
            {
                bag.Error(DiagnosticCodes.InvalidInventory, $"{option}: {error}");
                continue;
            }
            hosts.Add(new Located(new InventoryHost { Name = address.Host, Port = address.Port }, option, 0, 0));
        }
        CheckDuplicates(hosts, bag);
        if (bag.HasErrors)
        {
            throw new InputException(bag.Sorted());
        }
        return [.. hosts.Select(h => h.Host)];
    }

    /// <summary>Joins inventories (file, list, local machine); the same host twice is an error naming both.</summary>
    public static IReadOnlyList<InventoryHost> Combine(params IReadOnlyList<InventoryHost>[] parts)
    {
        var bag = new DiagnosticBag();
        var all = parts.SelectMany(p => p).Select(h => new Located(h, "inventory", 0, 0)).ToList();
        CheckDuplicates(all, bag);
        return bag.HasErrors ? throw new InputException(bag.Sorted()) : [.. all.Select(a => a.Host)];
    }

    private sealed record Located(InventoryHost Host, string File, int Line, int Column);

    private static List<Located> ParseText(string text, string file, DiagnosticBag bag)
    {
        var hosts = new List<Located>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash];
            }
            var name = line.Trim();
            if (name.Length == 0)
            {
                continue;
            }
            var column = line.IndexOf(name, StringComparison.Ordinal) + 1;
            if (!IsValidName(name))
            {
                bag.Error(DiagnosticCodes.InvalidInventory, $"'{name}' is not a host name or IP address (one host per line; # starts a comment)", file, i + 1, column);
                continue;
            }
            hosts.Add(new Located(new InventoryHost { Name = name }, file, i + 1, column));
        }
        return hosts;
    }

    private static List<Located> ParseJson(byte[] bytes, string file, DiagnosticBag bag)
    {
        var hosts = new List<Located>();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            bag.Error(DiagnosticCodes.InvalidJson, e.Message, file, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1);
            return hosts;
        }
        using (doc)
        {
            var positions = JsonPositionIndex.Build(bytes);
            (int, int) At(string p) => positions.Position(p);
            JsonElement array;
            var prefix = "";
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in doc.RootElement.EnumerateObject().Where(p => p.Name != "hosts"))
                {
                    var (l, c) = At(p.Name);
                    bag.Error(DiagnosticCodes.InvalidInventory, $"unknown property '{p.Name}' (expected only 'hosts')", file, l, c);
                }
                if (!doc.RootElement.TryGetProperty("hosts", out array) || array.ValueKind != JsonValueKind.Array)
                {
                    bag.Error(DiagnosticCodes.InvalidInventory, "expected {\"hosts\": [ ... ]}", file, 1, 1);
                    return hosts;
                }
                prefix = "hosts";
            }
            else
            {
                array = doc.RootElement;
                if (array.ValueKind != JsonValueKind.Array)
                {
                    bag.Error(DiagnosticCodes.InvalidInventory, "expected an array of hosts", file, 1, 1);
                    return hosts;
                }
            }
            var index = 0;
            foreach (var item in array.EnumerateArray())
            {
                var path = $"{prefix}[{index++}]";
                var (line, column) = At(path);
                if (item.ValueKind == JsonValueKind.String)
                {
                    AddNamed(item.GetString()!, null, null, path);
                    continue;
                }
                if (item.ValueKind != JsonValueKind.Object)
                {
                    bag.Error(DiagnosticCodes.InvalidInventory, "a host is a name or an object {\"name\", \"cluster\", \"migrationGroup\"}", file, line, column);
                    continue;
                }
                string? name = null, cluster = null, group = null;
                foreach (var p in item.EnumerateObject())
                {
                    var (pl, pc) = At($"{path}.{p.Name}");
                    if (p.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                    {
                        bag.Error(DiagnosticCodes.InvalidInventory, $"'{p.Name}' must be a string", file, pl, pc);
                        continue;
                    }
                    var value = p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetString()?.Trim();
                    switch (p.Name)
                    {
                        case "name": name = value; break;
                        case "cluster": cluster = string.IsNullOrEmpty(value) ? null : value; break;
                        case "migrationGroup": group = string.IsNullOrEmpty(value) ? null : value; break;
                        default: bag.Error(DiagnosticCodes.InvalidInventory, $"unknown property '{p.Name}' (known: name, cluster, migrationGroup)", file, pl, pc); break;
                    }
                }
                if (name is null)
                {
                    bag.Error(DiagnosticCodes.InvalidInventory, "host without 'name'", file, line, column);
                    continue;
                }
                AddNamed(name, cluster, group, path + ".name");
            }

            void AddNamed(string name, string? cluster, string? group, string at)
            {
                var (l, c) = At(at);
                if (!IsValidName(name))
                {
                    bag.Error(DiagnosticCodes.InvalidInventory, $"'{name}' is not a host name or IP address", file, l, c);
                    return;
                }
                hosts.Add(new Located(new InventoryHost { Name = name, Cluster = cluster?.ToUpperInvariant(), MigrationGroup = group }, file, l, c));
            }
        }
        return hosts;
    }

    private static void CheckDuplicates(List<Located> hosts, DiagnosticBag bag)
    {
        var seen = new Dictionary<string, Located>(StringComparer.OrdinalIgnoreCase);
        foreach (var h in hosts)
        {
            var key = h.Host.Identity().Name;
            if (seen.TryGetValue(key, out var first))
            {
                var where = first.Line > 0 ? $"line {first.Line}" : $"'{first.Host.Name}'";
                bag.Error(DiagnosticCodes.DuplicateHost, $"host '{h.Host.Name}' is listed twice (first at {where}; hosts are named by their first label, {key})", h.File == "inventory" || h.File.StartsWith("--", StringComparison.Ordinal) ? null : h.File, h.Line, h.Column);
                continue;
            }
            seen[key] = h;
        }
    }
}
