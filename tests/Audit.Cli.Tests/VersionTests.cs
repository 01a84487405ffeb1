using System.Text.Json;
using Audit.Tests.Common;

namespace Audit.Cli.Tests;

/// <summary>Which build wrote an output: --version and results.json name the version and the commit (SourceRevisionId).</summary>
public class VersionTests
{
    private static readonly ToolBuild Built = new("9.8.7", "0123456789abcdef0123456789abcdef01234567");

    [Theory]
    [InlineData("1.2.3+abc123", "1.2.3", "abc123")]
    [InlineData("1.2.3-beta.1+0123456789abcdef", "1.2.3-beta.1", "0123456789abcdef")]
    [InlineData("1.2.3", "1.2.3", null)]
    [InlineData("1.2.3+", "1.2.3", null)]
    [InlineData("", "0.0.0", null)]
    [InlineData(null, "0.0.0", null)]
    public void The_informational_version_splits_into_version_and_commit(string? informational, string version, string? commit)
    {
        Assert.Equal(new ToolBuild(version, commit), ToolBuild.Parse(informational));
    }

    [Fact]
    public void Version_option_prints_the_version_and_the_commit()
    {
        var r = CliRunner.RunAs(Built, RepoPaths.Root, "--version");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("audit 9.8.7 (commit 0123456789abcdef0123456789abcdef01234567)" + Environment.NewLine, r.Out);
    }

    [Fact]
    public void Without_git_metadata_the_version_says_the_commit_is_unknown()
    {
        var r = CliRunner.RunAs(new ToolBuild("9.8.7", null), RepoPaths.Root, "--version");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("audit 9.8.7 (commit unknown: built without git metadata)" + Environment.NewLine, r.Out);
    }

    [Fact]
    public void Results_junit_and_html_record_the_version_and_the_commit_and_results_re_render()
    {
        using var dir = new TempDir();
        var r = CliRunner.RunAs(Built, RepoPaths.Root, "run", "--out", dir.Path, "--quiet");
        Assert.Equal(1, r.ExitCode);
        using (var doc = JsonDocument.Parse(File.ReadAllText(dir.File("results.json"))))
        {
            var run = doc.RootElement.GetProperty("run");
            Assert.Equal("9.8.7", run.GetProperty("toolVersion").GetString());
            Assert.Equal(Built.Commit, run.GetProperty("toolCommit").GetString());
        }
        Assert.Contains($"<property name=\"audit.toolCommit\" value=\"{Built.Commit}\" />", File.ReadAllText(dir.File("junit.xml")), StringComparison.Ordinal);
        Assert.Contains($"audit 9.8.7 (commit {Built.Commit})", File.ReadAllText(dir.File("report.html")), StringComparison.Ordinal);

        // results.json with the commit is valid input of 'audit report' (schema/results.v1.schema.json allows it).
        var again = CliRunner.RunAs(Built, RepoPaths.Root, "report", "--results", dir.File("results.json"), "--out", dir.File("again"), "--quiet");
        Assert.True(again.ExitCode == 0, again.Err);
        Assert.Equal(File.ReadAllText(dir.File("junit.xml")), File.ReadAllText(Path.Combine(dir.Path, "again", "junit.xml")));
    }

    [Fact]
    public void Without_a_commit_results_json_has_no_toolCommit_and_junit_no_commit_property()
    {
        using var dir = new TempDir();
        var r = CliRunner.RunAs(new ToolBuild("9.8.7", null), RepoPaths.Root, "run", "--out", dir.Path, "--quiet", "--format", "json,junit");
        Assert.Equal(1, r.ExitCode);
        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("results.json")));
        Assert.False(doc.RootElement.GetProperty("run").TryGetProperty("toolCommit", out _));
        Assert.DoesNotContain("audit.toolCommit", File.ReadAllText(dir.File("junit.xml")), StringComparison.Ordinal);
    }
}
