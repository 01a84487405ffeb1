using Audit.Core.Loading;

namespace Audit.Core.Snapshots;

/// <summary>Loads a snapshot file: schema-validated, then checked for content problems the schema cannot express.</summary>
public static class SnapshotLoader
{
    public const string SchemaName = "snapshot.v1.schema.json";

    public static LoadedJson<Snapshot> Load(string path, LoadOptions? options = null, string? displayPath = null)
    {
        var loaded = JsonFileLoader.Load<Snapshot>(path, SchemaName, options, displayPath);
        Check(loaded);
        return loaded;
    }

    public static LoadedJson<Snapshot> Parse(byte[] utf8, string displayPath)
    {
        var loaded = JsonFileLoader.Parse<Snapshot>(utf8, SchemaName, displayPath);
        Check(loaded);
        return loaded;
    }

    private static void Check(LoadedJson<Snapshot> loaded)
    {
        var bag = new DiagnosticBag();
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var hosts = loaded.Value.Hosts;
        for (var i = 0; i < hosts.Count; i++)
        {
            if (seen.TryGetValue(hosts[i].Name, out var first))
            {
                var (l, c) = loaded.Positions.Position($"hosts[{i}].name");
                bag.Error(DiagnosticCodes.DuplicateHost, $"host '{hosts[i].Name}' appears twice (first at hosts[{first}]); merge snapshots with 'audit snapshot merge'", loaded.DisplayPath, l, c);
            }
            else
            {
                seen[hosts[i].Name] = i;
            }
        }
        if (bag.HasErrors)
        {
            throw new InputException(bag.Sorted());
        }
    }
}
