using Audit.Tests.Common;

namespace Audit.Cli.Tests;

/// <summary>
/// Where run, rules and test find rules/ and samples/estate.snapshot.json when not told: the current folder, else the
/// nearest Audit tree above it (a checkout), else beside the executable (here, the test's build inside this checkout).
/// </summary>
public class DefaultInputsTests
{
    private static readonly string AllRulesLine = CliRunner.Run("rules").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];

    [Fact]
    public void A_rules_folder_of_another_project_above_the_current_folder_is_not_taken_for_ours()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("rules"));
        File.WriteAllText(Path.Combine(dir.Path, "rules", "eslint-like.json"), "{ \"no-unused-vars\": \"error\" }");
        var work = Directory.CreateDirectory(dir.File("work")).FullName;

        var r = CliRunner.RunIn(work, "rules");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.EndsWith(AllRulesLine + Environment.NewLine, r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_current_folders_own_rules_folder_is_the_default()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("rules"));
        File.Copy(Path.Combine(RepoPaths.Rules, "smb.json"), Path.Combine(dir.Path, "rules", "smb.json"));

        var r = CliRunner.RunIn(dir.Path, "rules");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.EndsWith(" rules in 1 rule sets" + Environment.NewLine, r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void From_inside_an_audit_tree_its_rules_and_sample_are_used_before_the_executables()
    {
        // A second tree (say, a site's copy of the repository with its own rules) holding one rule set and the sample.
        using var dir = new TempDir();
        foreach (var sub in new[] { "rules", "schema", "samples", Path.Combine("docs", "deep") })
        {
            Directory.CreateDirectory(Path.Combine(dir.Path, sub));
        }
        File.Copy(Path.Combine(RepoPaths.Rules, "smb.json"), Path.Combine(dir.Path, "rules", "smb.json"));
        File.Copy(Path.Combine(RepoPaths.Schema, "ruleset.v1.schema.json"), Path.Combine(dir.Path, "schema", "ruleset.v1.schema.json"));
        File.Copy(RepoPaths.SampleSnapshot, Path.Combine(dir.Path, "samples", "estate.snapshot.json"));
        var deep = Path.Combine(dir.Path, "docs", "deep");

        var rules = CliRunner.RunIn(deep, "rules");
        Assert.True(rules.ExitCode == 0, rules.Err);
        Assert.EndsWith(" rules in 1 rule sets" + Environment.NewLine, rules.Out, StringComparison.Ordinal);

        var run = CliRunner.RunIn(deep, "run", "--format", "json", "--quiet");
        Assert.True(run.ExitCode is 0 or 1, run.Err);
        using var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(deep, "out", "results.json")));
        Assert.Equal(Path.Combine(dir.Path, "samples", "estate.snapshot.json"), results.RootElement.GetProperty("run").GetProperty("snapshot").GetProperty("path").GetString());
        Assert.Equal(["smb"], results.RootElement.GetProperty("run").GetProperty("ruleSets").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
    }
}
