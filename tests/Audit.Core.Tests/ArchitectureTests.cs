using System.Text.RegularExpressions;
using System.Xml.Linq;
using Audit.Tests.Common;

namespace Audit.Core.Tests;

/// <summary>ARCHITECTURE.md's table of projects is the rule: each project references only what its row allows, and every
/// project of engine/ and reports/ has a row.</summary>
public sealed partial class ArchitectureTests
{
    [GeneratedRegex(@"^\| `(?<path>(engine|reports)/[^`]+)` \|[^|]*\| (?<allowed>[^|]*) \|\s*$", RegexOptions.Multiline)]
    private static partial Regex Row();

    private static Dictionary<string, HashSet<string>> StatedRules()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "ARCHITECTURE.md"));
        var rules = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (Match m in Row().Matches(text))
        {
            var allowed = m.Groups["allowed"].Value.Trim();
            rules[Path.GetFileName(m.Groups["path"].Value)] = allowed == "(nothing)"
                ? []
                : [.. allowed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
        }
        return rules;
    }

    private static IEnumerable<string> ProjectFiles() =>
        new[] { "engine", "reports" }.SelectMany(d => Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, d), "*.csproj", SearchOption.AllDirectories))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    [Fact]
    public void Every_project_references_only_what_the_architecture_allows()
    {
        var rules = StatedRules();
        var problems = new List<string>();
        foreach (var file in ProjectFiles())
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (!rules.TryGetValue(name, out var allowed))
            {
                problems.Add($"{name} has no row in ARCHITECTURE.md");
                continue;
            }
            var references = XDocument.Load(file).Descendants("ProjectReference")
                .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')));
            problems.AddRange(references.Where(r => !allowed.Contains(r)).Select(r => $"{name} references {r}, which ARCHITECTURE.md does not allow"));
        }
        Assert.Empty(problems);
    }

    [Fact]
    public void The_architecture_table_names_only_projects_that_exist()
    {
        var rules = StatedRules();
        var projects = ProjectFiles().Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        // The table is read at all (a reformatted table must not make the first test pass by matching nothing).
        Assert.True(rules.Count >= 7, $"only {rules.Count} rows read from ARCHITECTURE.md");
        var unknown = rules.Keys.Concat(rules.Values.SelectMany(v => v)).Where(k => !projects.Contains(k)).Distinct().ToList();
        Assert.True(unknown.Count == 0, "ARCHITECTURE.md names projects that do not exist: " + string.Join(", ", unknown));
    }
}
