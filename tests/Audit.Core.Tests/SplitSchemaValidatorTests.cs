using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Audit.Tests.Common;
using Audit.Core.Loading;
using Audit.Core.Schema;
using Audit.Core.Snapshots;

namespace Audit.Core.Tests;

/// <summary>Validating a snapshot element by element must give exactly the diagnostics of validating it whole.</summary>
public class SplitSchemaValidatorTests
{
    private static readonly Dictionary<string, Action<JsonNode>> Mutations = new()
    {
        ["none"] = _ => { },
        ["host name wrong type"] = r => r["hosts"]![0]!["name"] = 42,
        ["unknown property in a VM"] = r => r["hosts"]![0]!["vms"]![1]!["bogus"] = true,
        ["host lacks required collection"] = r => r["hosts"]![2]!.AsObject().Remove("collection"),
        ["disk format not in enum"] = r => r["hosts"]![0]!["vms"]![0]!["disks"]![0]!["format"] = "VHDZ",
        ["hotfix date not a date"] = r => r["hosts"]![1]!["hotfixes"]![0]!["installedOn"] = "yesterday",
        ["os is a string (oneOf)"] = r => r["hosts"]![3]!["os"] = "Windows",
        ["host is a number"] = r => r["hosts"]![1] = 5,
        ["host is an empty object"] = r => r["hosts"]![4] = new JsonObject(),
        ["host is an array"] = r => r["hosts"]![4] = new JsonArray(1, 2),
        ["computer uac wrong type"] = r => r["directory"]!["computers"]![2]!["userAccountControl"] = "x",
        ["computer lacks sam"] = r => r["directory"]!["computers"]![0]!.AsObject().Remove("samAccountName"),
        ["kind removed and hosts an object"] = r =>
        {
            r.AsObject().Remove("kind");
            r["hosts"] = new JsonObject();
        },
        ["directory collection wrong"] = r => r["directory"]!["collection"] = 1,
        ["errors everywhere"] = r =>
        {
            r["kind"] = "Nope";
            r["hosts"]![0]!["os"]!["version"] = "six";
            r["hosts"]![5]!["liveMigration"] = new JsonObject();
            r["directory"]!["computers"]![1]!["flags"] = new JsonObject { ["x"] = 1 };
            r["directory"]!["extra"] = "é€😀";
        },
        ["non-ASCII before an error"] = r =>
        {
            r["hosts"]![0]!["vms"]![0]!["name"] = "Größe ☃ 😀";
            r["hosts"]![0]!["vms"]![0]!["state"] = 7;
        },
    };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var m in Mutations.Keys)
        {
            foreach (var layout in new[] { "indented", "minified", "crlf" })
            {
                data.Add(m, layout);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Split_validation_gives_the_same_diagnostics_as_whole_validation(string mutation, string layout)
    {
        var root = JsonNode.Parse(File.ReadAllText(RepoPaths.SampleSnapshot))!;
        Mutations[mutation](root);
        var text = root.ToJsonString(new JsonSerializerOptions { WriteIndented = layout != "minified", Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        if (layout == "crlf")
        {
            text = text.Replace("\n", "\r\n", StringComparison.Ordinal);
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        var whole = JsonFileLoader.ValidateAgainstSchema(bytes, SnapshotLoader.SchemaName, "s.json", SchemaValidationMode.Whole).Select(d => d.ToString()).ToList();
        var split = JsonFileLoader.ValidateAgainstSchema(bytes, SnapshotLoader.SchemaName, "s.json", SchemaValidationMode.Split).Select(d => d.ToString()).ToList();
        Assert.Equal(whole, split);
        Assert.Equal(mutation == "none", whole.Count == 0);
        // The fast check vouches exactly for the documents NJsonSchema finds valid.
        Assert.Equal(whole.Count == 0, FastSchemaCheck.IsValid(bytes, SnapshotLoader.SchemaName));
    }

    [Theory]
    [InlineData("\"version\": \"6.2.9200\"", "\"version\": \"6.2.9200\\n\"")]
    [InlineData("\"version\": \"6.2.9200\"", "\"version\": \"6.2.x\"")]
    [InlineData("\"productType\": 3", "\"productType\": 4")]
    [InlineData("\"productType\": 3", "\"productType\": 3.0")]
    [InlineData("\"productType\": 3", "\"productType\": 3e0")]
    [InlineData("\"servicePackMajor\": 0", "\"servicePackMajor\": 99999999999999999999999")]
    [InlineData("\"collectedAt\": \"2026-11-24T02:00:00+00:00\"", "\"collectedAt\": \"2026-11-24\"")]
    [InlineData("\"collectedAt\": \"2026-11-24T02:00:00+00:00\"", "\"collectedAt\": \"24/11/2026 02:00\"")]
    [InlineData("\"name\": \"ZULU\"", "\"name\": \"\"")]
    [InlineData("\"controller\": \"IDE\"", "\"controller\": null")]
    [InlineData("\"controller\": \"IDE\"", "\"controller\": \"ide\"")]
    [InlineData("\"status\": \"ok\"", "\"status\": \"OK\"")]
    [InlineData("\"hyperV\": true", "\"hyperV\": 1")]
    [InlineData("\"featureIds\": [", "\"featureIds\": [1.5, ")]
    [InlineData("\"integrationServices\": {", "\"integrationServices\": { \"x\": 5, ")]
    public void Fast_check_agrees_with_NJsonSchema_on_edge_values(string from, string to)
    {
        var text = File.ReadAllText(RepoPaths.SampleSnapshot);
        Assert.Contains(from, text, StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(text.Replace(from, to, StringComparison.Ordinal));
        var whole = JsonFileLoader.ValidateAgainstSchema(bytes, SnapshotLoader.SchemaName, "s.json", SchemaValidationMode.Whole);
        var fast = FastSchemaCheck.IsValid(bytes, SnapshotLoader.SchemaName);
        // Sound: never valid where NJsonSchema finds an error.
        Assert.False(fast && whole.Count > 0, string.Join("\n", whole));
    }

    [Fact]
    public void Large_documents_are_split_by_default_and_small_ones_are_not()
    {
        Assert.True(SplitSchemaValidator.MinimumBytes > new FileInfo(RepoPaths.SampleSnapshot).Length);
        var root = JsonNode.Parse(File.ReadAllText(RepoPaths.SampleSnapshot))!;
        var hosts = root["hosts"]!.AsArray();
        var template = hosts[0]!.ToJsonString();
        for (var i = 0; hosts.ToJsonString().Length < SplitSchemaValidator.MinimumBytes * 2; i++)
        {
            var h = JsonNode.Parse(template)!;
            h["name"] = $"COPY{i}";
            hosts.Add(h);
        }
        hosts[^1]!["vms"]![0]!["disks"]![0]!["type"] = "Sparse";
        var bytes = Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var auto = JsonFileLoader.ValidateAgainstSchema(bytes, SnapshotLoader.SchemaName, "big.json");
        var whole = JsonFileLoader.ValidateAgainstSchema(bytes, SnapshotLoader.SchemaName, "big.json", SchemaValidationMode.Whole);
        var d = Assert.Single(auto);
        Assert.Equal(whole.Single(), d);
        Assert.Contains($"hosts[{hosts.Count - 1}].vms[0].disks[0].type", d.Message, StringComparison.Ordinal);
        Assert.True(d.Line > 1000);
    }
}
