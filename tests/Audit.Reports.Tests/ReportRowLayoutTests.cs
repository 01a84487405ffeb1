using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Audit.Core.Loading;
using Audit.Core.Results;
using Audit.Tests.Common;

namespace Audit.Reports.Tests;

/// <summary>
/// The data block's rows are laid out once, by <see cref="ReportRowLayout"/>: report.js reads them by those names only,
/// schema/report-data.v1.schema.json is made from it, and the blocks the report writes satisfy that schema.
/// </summary>
public sealed partial class ReportRowLayoutTests
{
    public const string SchemaName = "report-data.v1.schema.json";

    private const string Open = "<script type=\"application/json\" id=\"audit-data\">";

    /// <summary>Numeric indexes report.js may use, each on a list that is not a row.</summary>
    private static readonly Dictionary<string, string> AllowedNumericIndexes = new(StringComparer.Ordinal)
    {
        ["TREND[0]"] = "the oldest run's label, in the list of run labels",
    };

    internal static string DataBlock(string html)
    {
        var start = html.IndexOf(Open, StringComparison.Ordinal);
        Assert.True(start >= 0, "data block missing");
        start += Open.Length;
        return html[start..html.IndexOf("</script>", start, StringComparison.Ordinal)];
    }

    /// <summary>The position of field <paramref name="name"/> in rows of <paramref name="kind"/>, as the block's own layout says.</summary>
    internal static int Field(JsonElement block, string kind, string name)
    {
        var names = block.GetProperty("layout").GetProperty(kind).EnumerateArray().Select(n => n.GetString()).ToList();
        var i = names.IndexOf(name);
        Assert.True(i >= 0, $"{kind} rows have no field {name}");
        return i;
    }

    [GeneratedRegex(@"\b([A-Z_]+) = fields\(""(\w+)""\)")]
    private static partial Regex FieldsDeclaration();

    /// <summary>An index by number: after a name (r[3]), a call or another index (rules[r[0]][0]).</summary>
    [GeneratedRegex(@"(?:\b\w+|[\)\]])\s*\[\s*\d+\s*\]")]
    private static partial Regex NumericIndex();

    [Fact]
    public void Report_js_reads_row_fields_by_names_the_layout_defines_and_never_by_number()
    {
        var js = HtmlReportRenderer.Resource("templates/report.js");
        var kinds = ReportRowLayout.All.ToDictionary(k => k.Name, k => k.Fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);

        // Each row kind's field positions are looked up once, by name, from the block's layout.
        var declared = FieldsDeclaration().Matches(js).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
        Assert.Equal(kinds.Keys.Order(StringComparer.Ordinal), declared.Values.Order(StringComparer.Ordinal));

        // Every field the script names exists in the C# definition of its kind.
        var uses = Regex.Matches(js, @"\b(" + string.Join("|", declared.Keys) + @")\.(\w+)\b").ToList();
        Assert.True(uses.Count > 20, "report.js reads no row field by name");
        var unknown = uses.Where(m => !kinds[declared[m.Groups[1].Value]].Contains(m.Groups[2].Value)).Select(m => m.Value).Distinct().ToList();
        Assert.True(unknown.Count == 0, "report.js reads fields the layout does not define: " + string.Join(", ", unknown));

        // No row is read by position (r[3]); the few numeric indexes allowed are on lists that are not rows.
        var numeric = NumericIndex().Matches(js).Select(m => m.Value).Where(v => !AllowedNumericIndexes.ContainsKey(v)).ToList();
        Assert.True(numeric.Count == 0, "report.js indexes by number: " + string.Join(", ", numeric));
    }

    [Fact]
    public void Field_names_are_unique_per_kind_and_nested_rows_name_a_kind_that_exists()
    {
        var names = ReportRowLayout.All.Select(k => k.Name).ToList();
        Assert.Equal(names.Distinct(StringComparer.Ordinal).Count(), names.Count);
        foreach (var kind in ReportRowLayout.All)
        {
            Assert.Equal(kind.Fields.Count, kind.Fields.Select(f => f.Name).Distinct(StringComparer.Ordinal).Count());
            Assert.All(kind.Fields, f => Assert.Matches("^[a-z][A-Za-z]*$", f.Name));
            Assert.All(kind.Fields.Where(f => f.Type == FieldType.Row), f => Assert.Contains(f.Row, names));
            Assert.All(kind.Fields.Where(f => f.Type != FieldType.Row), f => Assert.Null(f.Row));
        }
    }

    [Fact]
    public void The_data_block_schema_is_the_one_made_from_the_layout()
    {
        var made = Schema().ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        var path = Path.Combine(RepoPaths.Schema, SchemaName);
        if (Environment.GetEnvironmentVariable("AUDIT_APPROVE") == "1")
        {
            File.WriteAllText(path, made, new UTF8Encoding(false));
            return;
        }
        Assert.True(File.Exists(path), $"{path} missing: run the tests with AUDIT_APPROVE=1 to write it from ReportRowLayout");
        Assert.Equal(File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal), made);
    }

    public static TheoryData<string> Reports => ["sample", "hostile", "drift and waivers", "five-run trend"];

    private static ResultsDocument Document(string name) => name switch
    {
        "sample" => TestResults.Sample,
        "hostile" => TestResults.Hostile(),
        "drift and waivers" => NightlyResults.WithDriftAndWaivers(),
        _ => NightlyResults.WithFiveRunTrend().Tonight,
    };

    [Theory]
    [MemberData(nameof(Reports))]
    public void The_data_block_satisfies_the_schema(string report)
    {
        var block = DataBlock(HtmlReportRenderer.Render(Document(report)));
        var problems = JsonFileLoader.ValidateAgainstSchema(block, SchemaName, report);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void A_row_missing_a_field_or_a_layout_out_of_step_does_not_satisfy_the_schema()
    {
        var text = DataBlock(HtmlReportRenderer.Render(NightlyResults.WithDriftAndWaivers()));
        using var doc = JsonDocument.Parse(text);
        var waiverField = Field(doc.RootElement, "verdict", "waiver");
        var block = JsonNode.Parse(text)!;
        var shortRow = block.DeepClone();
        var verdict = shortRow["verdicts"]![0]!.AsArray();
        verdict.RemoveAt(verdict.Count - 1);
        Assert.NotEmpty(JsonFileLoader.ValidateAgainstSchema(shortRow.ToJsonString(), SchemaName, "short row"));

        var renamed = block.DeepClone();
        renamed["layout"]!["verdict"]![4] = "host";
        Assert.NotEmpty(JsonFileLoader.ValidateAgainstSchema(renamed.ToJsonString(), SchemaName, "renamed field"));

        var waiverRow = block.DeepClone();
        var waived = waiverRow["verdicts"]!.AsArray().First(r => r![waiverField] is JsonArray)!;
        waived[waiverField]!.AsArray().Add("extra");
        Assert.NotEmpty(JsonFileLoader.ValidateAgainstSchema(waiverRow.ToJsonString(), SchemaName, "waiver row too long"));
    }

    /// <summary>schema/report-data.v1.schema.json, made from <see cref="ReportRowLayout"/> and the block's other members.</summary>
    private static JsonObject Schema()
    {
        static JsonNode Strings() => new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } };
        static JsonObject Described(string description, JsonObject schema)
        {
            var o = new JsonObject { ["description"] = description };
            foreach (var (k, v) in schema)
            {
                o[k] = v?.DeepClone();
            }
            return o;
        }
        static JsonObject FieldSchema(RowField f)
        {
            var o = new JsonObject { ["title"] = f.Name, ["description"] = f.Meaning };
            switch (f.Type)
            {
                case FieldType.Index:
                    o["type"] = "integer";
                    o["minimum"] = 0;
                    break;
                case FieldType.Text:
                    o["type"] = "string";
                    break;
                case FieldType.TextOrNull:
                    o["type"] = new JsonArray("string", "null");
                    break;
                case FieldType.Flag:
                    o["enum"] = new JsonArray(0, 1);
                    break;
                case FieldType.Boolean:
                    o["type"] = "boolean";
                    break;
                case FieldType.Texts:
                    o["type"] = "array";
                    o["items"] = new JsonObject { ["type"] = "string" };
                    break;
                case FieldType.Counts:
                    o["type"] = "array";
                    o["items"] = new JsonObject { ["type"] = new JsonArray("integer", "null"), ["minimum"] = 0 };
                    break;
                case FieldType.Row:
                    o["oneOf"] = new JsonArray(new JsonObject { ["$ref"] = "#/definitions/" + f.Row }, new JsonObject { ["type"] = "null" });
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(f), f.Type, null);
            }
            return o;
        }

        var layout = new JsonObject();
        var definitions = new JsonObject();
        foreach (var kind in ReportRowLayout.All)
        {
            var names = kind.Fields.Select(f => f.Name).ToArray();
            layout[kind.Name] = new JsonObject
            {
                ["description"] = $"The field names of a {kind.Name} row, in row order.",
                ["enum"] = new JsonArray(new JsonArray([.. names.Select(n => (JsonNode)n)])),
            };
            definitions[kind.Name] = new JsonObject
            {
                ["description"] = $"{kind.Meaning} An array of {names.Length}: {string.Join(", ", names)}.",
                ["type"] = "array",
                ["items"] = new JsonArray([.. kind.Fields.Select(f => (JsonNode)FieldSchema(f))]),
                ["minItems"] = names.Length,
                ["additionalItems"] = false,
            };
        }
        var members = ReportRowLayout.All.Select(k => k.Name).ToArray();
        return new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-04/schema#",
            ["title"] = "Audit HTML report data v1",
            ["description"] = "The findings data embedded in report.html (<script type=\"application/json\" id=\"audit-data\">), read by the page's script. " +
                "Rows are arrays, not objects: 'layout' names each row kind's fields once, in row order, and the script finds a field's position by its name. " +
                "Made from reports/Audit.Reports/ReportRowLayout.cs (ReportRowLayoutTests keeps this file in step). " +
                "Every string is sanitized (controls and bidirectional overrides as \\uXXXX), and the characters <, > and & are written as JSON escapes.",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["required"] = new JsonArray("layout", "outcomes", "families", "groups", "trend", "rules", "drift", "verdicts"),
            ["properties"] = new JsonObject
            {
                ["layout"] = new JsonObject
                {
                    ["description"] = "For each row kind, its field names in row order.",
                    ["type"] = "object",
                    ["additionalProperties"] = false,
                    ["required"] = new JsonArray([.. members.Select(m => (JsonNode)m)]),
                    ["properties"] = layout,
                },
                ["outcomes"] = Described("Outcome names as in results.json; a verdict's outcome is a position here.", Strings().AsObject()),
                ["families"] = Described("Rule families (the matrix columns); a rule's family is a position here.", Strings().AsObject()),
                ["groups"] = Described("The matrix rows: hosts, clusters and the directory; a verdict's group is a position here.", Strings().AsObject()),
                ["trend"] = new JsonObject
                {
                    ["description"] = "Labels of the runs of the trend, oldest first ('this run' last); null without a trend of at least two runs.",
                    ["type"] = new JsonArray("array", "null"),
                    ["items"] = new JsonObject { ["type"] = "string" },
                },
                ["rules"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["$ref"] = "#/definitions/rule" } },
                ["drift"] = new JsonObject { ["description"] = "True when the run was compared with a baseline.", ["type"] = "boolean" },
                ["verdicts"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["$ref"] = "#/definitions/verdict" } },
            },
            ["definitions"] = definitions,
        };
    }
}
