using System.Text.Json;
using Audit.Tests.Common;

namespace Audit.Cli.Tests;

/// <summary>samples/ci: the YAML recipes parse and are wired as their README says; every audit command line in them is valid.</summary>
public class CiRecipeTests
{
    private static string Ci(string name) => Path.Combine(RepoPaths.Samples, "ci", name);

    /// <summary>A YAML file as JSON, read by Debian's python3-yaml (YAML 1.1: GitHub's 'on' key reads as true).</summary>
    private static JsonElement Yaml(string file)
    {
        const string Py = "import json, sys, yaml\nprint(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8')), default=str))";
        Assert.True(File.Exists("/usr/bin/python3"), "/usr/bin/python3 is missing: run ./test.sh, which installs python3-yaml");
        var r = ProcessRun.Run("/usr/bin/python3", ["-c", Py, file], RepoPaths.Root, TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, $"{file} does not parse as YAML (or python3-yaml is missing: run ./test.sh): {r}");
        return JsonDocument.Parse(r.Out).RootElement.Clone();
    }

    [Theory]
    [InlineData("Jenkinsfile")]
    [InlineData("azure-pipelines.yml")]
    [InlineData("gitlab-ci.yml")]
    [InlineData("github-actions.yml")]
    public void Every_recipe_validates_the_waivers_and_evaluates_into_out_with_options_audit_has(string name)
    {
        var found = RecipeCommands.AssertKnown(name, File.ReadAllText(Ci(name)));
        var validate = Assert.Single(found, c => c.Command == "validate" && c.Options.Contains("--waivers"));
        Assert.Contains("--waivers", validate.Options);
        var evaluate = Assert.Single(found, c => c.Command == "evaluate" && c.Options.Contains("--out"));
        Assert.Contains("--out out", evaluate.Line, StringComparison.Ordinal);
        Assert.Contains("--fail-on", evaluate.Options);
        Assert.Contains("--waivers", evaluate.Options);
    }

    [Fact]
    public void The_option_check_catches_an_option_audit_does_not_have()
    {
        var calls = RecipeCommands.Find("x=1\n  .tools/audit evaluate --snapshot s.json \\\n    --fail-on-neww --out out\n");
        var call = Assert.Single(calls);
        Assert.Equal("evaluate", call.Command);
        Assert.Equal(["--fail-on-neww"], RecipeCommands.Unknown(call.Command, call.Options));
        Assert.Empty(RecipeCommands.Unknown("snapshot merge", ["--out"]));
    }

    [Fact]
    public void Azure_publishes_junit_with_PublishTestResults_even_when_the_audit_step_failed()
    {
        var steps = Yaml(Ci("azure-pipelines.yml")).GetProperty("steps").EnumerateArray().ToList();
        var publish = Assert.Single(steps, s => s.TryGetProperty("task", out var t) && t.GetString() == "PublishTestResults@2");
        Assert.Equal("succeededOrFailed()", publish.GetProperty("condition").GetString());
        Assert.Equal("JUnit", publish.GetProperty("inputs").GetProperty("testResultsFormat").GetString());
        Assert.Equal("out/junit.xml", publish.GetProperty("inputs").GetProperty("testResultsFiles").GetString());
        var audit = Assert.Single(steps, s => s.TryGetProperty("displayName", out var d) && d.GetString() == "Audit");
        Assert.Contains("result=SucceededWithIssues", audit.GetProperty("script").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void GitLab_reports_junit_and_lets_exit_code_2_pass_with_a_warning()
    {
        var audit = Yaml(Ci("gitlab-ci.yml")).GetProperty("audit");
        Assert.Equal("out/junit.xml", audit.GetProperty("artifacts").GetProperty("reports").GetProperty("junit").GetString());
        Assert.Equal("always", audit.GetProperty("artifacts").GetProperty("when").GetString());
        Assert.Equal([2], audit.GetProperty("allow_failure").GetProperty("exit_codes").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void GitHub_keeps_the_reports_whatever_the_outcome()
    {
        var steps = Yaml(Ci("github-actions.yml")).GetProperty("jobs").GetProperty("audit").GetProperty("steps").EnumerateArray().ToList();
        var upload = Assert.Single(steps, s => s.TryGetProperty("uses", out var u) && u.GetString()!.StartsWith("actions/upload-artifact@", StringComparison.Ordinal));
        Assert.Equal("always()", upload.GetProperty("if").GetString());
        Assert.Equal("out/", upload.GetProperty("with").GetProperty("path").GetString());
    }

    [Fact]
    public void Jenkins_publishes_junit_and_maps_exit_code_2_to_unstable()
    {
        // Not parsed: no Groovy or Jenkins linter is installable here (samples/ci/README.md).
        var text = File.ReadAllText(Ci("Jenkinsfile"));
        Assert.Contains("junit testResults: 'out/junit.xml'", text, StringComparison.Ordinal);
        Assert.Contains("returnStatus: true", text, StringComparison.Ordinal);
        Assert.Contains("if (rc == 2) {\n            unstable(", text, StringComparison.Ordinal);
    }
}
