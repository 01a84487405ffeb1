using System.Text.Json;
using System.Text.Json.Nodes;
using Audit.Core;
using Audit.Tests.Common;

namespace Audit.Cli.Tests;

/// <summary>
/// The contracts users and CI systems read, as approved files: results.json and the HTML report's data block of a nightly
/// run of the bundled sample (waivers and parameters file), with the fixed test clock and build. Only the per-rule
/// timings, which differ run to run, are set to zero before comparing.
/// </summary>
public sealed class ApprovedOutputsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string RunNightlySample()
    {
        var r = CliRunner.Run("run", "--out", _dir.Path, "--waivers", "samples/waivers.json", "--params", "samples/params.json", "--format", "json,html", "-q");
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
        return _dir.Path;
    }

    [Fact]
    public void Results_json_of_the_nightly_sample_is_the_approved_one()
    {
        var out_ = RunNightlySample();
        var doc = JsonNode.Parse(File.ReadAllText(Path.Combine(out_, "results.json")))!;
        var timings = doc["run"]!["ruleTimingsMs"]!.AsObject();
        Assert.NotEmpty(timings);
        foreach (var name in timings.Select(kv => kv.Key).ToList())
        {
            timings[name] = 0;
        }
        Approvals.Verify("Audit.Cli.Tests", "nightly-sample.results.json", doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    [Fact]
    public void The_HTML_data_block_of_the_nightly_sample_is_the_approved_one()
    {
        var html = File.ReadAllText(Path.Combine(RunNightlySample(), "report.html"));
        const string open = "<script type=\"application/json\" id=\"audit-data\">";
        var start = html.IndexOf(open, StringComparison.Ordinal);
        Assert.True(start >= 0, "data block missing");
        start += open.Length;
        var block = html[start..html.IndexOf("</script>", start, StringComparison.Ordinal)];
        // Pretty-printed so that a change reads as a diff; the block's own escaping is HtmlDataBlockTests' subject.
        var pretty = JsonNode.Parse(block)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        Approvals.Verify("Audit.Cli.Tests", "nightly-sample.html-data.json", pretty + "\n");
    }
}
