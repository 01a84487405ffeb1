using System.Text;
using Audit.Tests.Common;
using Xunit.Abstractions;
using Audit.Core.Loading;
using Audit.Core.Schema;
using Audit.Core.Snapshots;

namespace Audit.Core.Tests;

/// <summary>
/// The fast schema check reads schema/ itself (System.Text.Json, no NJsonSchema): it must stay in use for the schemas of
/// large inputs, and it must never vouch for a document NJsonSchema rejects, for every schema it supports.
/// </summary>
public class FastSchemaCheckTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Documents() => new()
    {
        { SnapshotLoader.SchemaName, "samples/estate.snapshot.json" },
        { "ruleset.v1.schema.json", "rules/integration-services.json" },
        { "ruleset.v1.schema.json", "rules/delegation.json" },
        { "waivers.v1.schema.json", "samples/waivers.json" },
    };

    [Theory]
    [InlineData("snapshot.v1.schema.json", true)]
    [InlineData("ruleset.v1.schema.json", true)]
    [InlineData("waivers.v1.schema.json", true)]
    [InlineData("results.v1.schema.json", true)]
    // patternProperties is outside the subset: params files always get NJsonSchema (they are small).
    [InlineData("params.v1.schema.json", false)]
    public void Schemas_of_large_inputs_are_checked_fast(string schema, bool supported) =>
        Assert.Equal(supported, FastSchemaCheck.Supported(schema));

    [Theory]
    [MemberData(nameof(Documents))]
    public void Fast_check_passes_the_bundled_document_and_never_a_mutant_NJsonSchema_rejects(string schema, string relative)
    {
        var original = File.ReadAllBytes(Path.Combine(RepoPaths.Root, relative));
        Assert.Empty(JsonFileLoader.ValidateAgainstSchema(original, schema, relative, SchemaValidationMode.Whole));
        Assert.True(FastSchemaCheck.IsValid(original, schema), "the fast check refuses a valid bundled document");
        var checkedCases = 0;
        var rejected = 0;
        var unsound = new List<string>();
        for (var seed = 0; seed < FuzzCheck.CaseCount(); seed++)
        {
            var m = JsonMutator.Mutate(original, seed);
            if (!System.Text.Unicode.Utf8.IsValid(m.Bytes) || m.Bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) || !IsJson(m.Bytes))
            {
                continue;
            }
            checkedCases++;
            var whole = JsonFileLoader.ValidateAgainstSchema(m.Bytes, schema, "fuzz.json", SchemaValidationMode.Whole);
            rejected += whole.Count > 0 ? 1 : 0;
            if (whole.Count > 0 && FastSchemaCheck.IsValid(m.Bytes, schema))
            {
                unsound.Add($"{m}: fast check passed, NJsonSchema: {whole[0]}");
            }
        }
        output.WriteLine($"{relative}: {checkedCases} syntactically valid mutations, {rejected} rejected by NJsonSchema, {unsound.Count} passed by the fast check");
        Assert.True(unsound.Count == 0, string.Join("\n", unsound.Take(10)));
        Assert.True(rejected > checkedCases / 3, $"{rejected} of {checkedCases}");
    }

    private static bool IsJson(byte[] bytes)
    {
        var reader = new System.Text.Json.Utf8JsonReader(bytes, new System.Text.Json.JsonReaderOptions { MaxDepth = JsonFileLoader.MaxDepth });
        try
        {
            while (reader.Read())
            {
            }
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
