namespace Audit.Pipeline;

/// <summary>
/// Where the inputs a run takes when none is named (rules/, samples/estate.snapshot.json) are found: in the current folder;
/// else in the nearest folder above it that is an Audit tree (a checkout or an installed tool: it holds
/// <see cref="TreeMarker"/>), so that a 'rules' folder of some other project above the current one is never taken for
/// ours; else beside the executable (an installed tool or single-file build carries the bundled rules and sample there)
/// or in the Audit tree above it (a build output inside a checkout).
/// </summary>
public static class DefaultInputs
{
    /// <summary>The rule sets shipped with the tool.</summary>
    public const string Rules = "rules";

    /// <summary>The bundled sample estate.</summary>
    public static readonly string SampleSnapshot = Path.Combine("samples", "estate.snapshot.json");

    /// <summary>What makes a folder an Audit tree: the rule set schema, shipped in every checkout and beside the installed tool.</summary>
    public static readonly string TreeMarker = Path.Combine("schema", "ruleset.v1.schema.json");

    /// <summary>The full path of <paramref name="relative"/> (a file or folder) in the first place that has it; null when none does.</summary>
    public static string? Find(string relative, string currentDirectory)
    {
        foreach (var dir in Roots(currentDirectory))
        {
            var candidate = Path.Combine(dir, relative);
            if (File.Exists(candidate) || Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static IEnumerable<string> Roots(string currentDirectory)
    {
        yield return currentDirectory;
        foreach (var start in new[] { new DirectoryInfo(currentDirectory).Parent, new DirectoryInfo(AppContext.BaseDirectory) })
        {
            for (var dir = start; dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, TreeMarker)))
                {
                    yield return dir.FullName;
                    break;
                }
            }
        }
    }
}
