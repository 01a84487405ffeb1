namespace Audit.Tests.Common;

/// <summary>Locations in the repository, found from the test binary by walking up to Audit.sln.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Audit.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Audit.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => RootLazy.Value;
    public static string Rules => Path.Combine(Root, "rules");
    public static string Schema => Path.Combine(Root, "schema");
    public static string Samples => Path.Combine(Root, "samples");
    public static string SampleSnapshot => Path.Combine(Samples, "estate.snapshot.json");
    public static string Fixtures(string project) => Path.Combine(Root, "tests", project, "Fixtures");
    public static string Approved(string project) => Path.Combine(Root, "tests", project, "Approved");

    /// <summary>Where tests leave artifacts worth keeping (screenshots, generated reports): artifacts/ at the root, git-ignored.</summary>
    public static string Artifacts
    {
        get
        {
            var d = Path.Combine(Root, "artifacts");
            Directory.CreateDirectory(d);
            return d;
        }
    }
}
