using System.Text;
using Audit.Tests.Common;
using Audit.Core.Loading;
using Audit.Core.Snapshots;

namespace Audit.Core.Tests;

public class JsonFileLoaderTests
{
    private static Diagnostic[] Fail(string json, string name = "snap.json") =>
        Fail(Encoding.UTF8.GetBytes(json), name);

    private static Diagnostic[] Fail(byte[] bytes, string name = "snap.json")
    {
        var e = Assert.Throws<InputException>(() => SnapshotLoader.Parse(bytes, name));
        Assert.NotEmpty(e.Diagnostics);
        return [.. e.Diagnostics];
    }

    private const string Minimal = """
        {
          "apiVersion": "audit.hyperv/v1",
          "kind": "Snapshot",
          "collectedAt": "2026-11-24T02:00:00Z",
          "hosts": [
            { "name": "ZULU", "collection": [] }
          ]
        }
        """;

    [Fact]
    public void Minimal_snapshot_loads()
    {
        var s = SnapshotLoader.Parse(Encoding.UTF8.GetBytes(Minimal), "m.json");
        Assert.Equal("ZULU", s.Value.Hosts[0].Name);
        Assert.Equal(64, s.Sha256.Length);
    }

    [Fact]
    public void Utf8_bom_is_accepted_and_hash_covers_the_raw_bytes()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Minimal)).ToArray();
        var s = SnapshotLoader.Parse(bytes, "bom.json");
        Assert.Equal(Hashing.Sha256(bytes), s.Sha256);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_document_without_its_bytes_finds_positions_in_its_file(bool bom)
    {
        using var dir = new TempDir();
        var path = dir.File("s.json");
        var text = Encoding.UTF8.GetBytes(Minimal);
        File.WriteAllBytes(path, bom ? [.. Encoding.UTF8.GetPreamble(), .. text] : text);
        var full = SnapshotLoader.Load(path);
        var slim = full.WithoutBytes(path);
        Assert.Empty(slim.Utf8);
        Assert.Equal(full.Value, slim.Value);
        Assert.Equal(full.Sha256, slim.Sha256);
        Assert.Equal((6, 15), full.Positions.Position("hosts[0].name"));
        Assert.Equal(full.Positions.Position("hosts[0].name"), slim.Positions.Position("hosts[0].name"));
        Assert.Equal(full.Positions.Position("collectedAt"), slim.Positions.Position("collectedAt"));
    }

    [Fact]
    public void Syntax_error_reports_line_and_column()
    {
        var d = Fail("{\n  \"apiVersion\": \"audit.hyperv/v1\",\n  \"kind\": \"Snapshot\" \"x\"\n}");
        Assert.Equal(DiagnosticCodes.InvalidJson, d[0].Code);
        Assert.Equal(3, d[0].Line);
        Assert.Equal("snap.json", d[0].File);
        Assert.StartsWith("snap.json(3,", d[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_file_is_a_syntax_error()
    {
        var d = Fail(Minimal[..40]);
        Assert.Equal(DiagnosticCodes.InvalidJson, d[0].Code);
    }

    [Fact]
    public void Schema_violations_are_all_reported_with_positions_and_paths()
    {
        var json = Minimal.Replace("\"name\": \"ZULU\"", "\"name\": 42, \"bogus\": true", StringComparison.Ordinal).Replace("\"kind\": \"Snapshot\",", "", StringComparison.Ordinal);
        var d = Fail(json);
        Assert.All(d, x => Assert.Equal(DiagnosticCodes.SchemaViolation, x.Code));
        Assert.Contains(d, x => x.Message.Contains("required property 'kind'", StringComparison.Ordinal));
        Assert.Contains(d, x => x.Message.Contains("unknown property 'bogus'", StringComparison.Ordinal) && x.Line == 6);
        Assert.Contains(d, x => x.Message.Contains("hosts[0].name", StringComparison.Ordinal));
        Assert.True(d.Length >= 3);
    }

    [Fact]
    public void Invalid_utf8_is_refused_with_its_offset()
    {
        var bytes = Encoding.UTF8.GetBytes(Minimal);
        bytes[30] = 0xFF;
        var d = Fail(bytes);
        Assert.Contains("invalid UTF-8", d[0].Message, StringComparison.Ordinal);
        Assert.Equal(2, d[0].Line);
    }

    [Fact]
    public void Duplicate_keys_are_refused()
    {
        var d = Fail(Minimal.Replace("\"kind\": \"Snapshot\",", "\"kind\": \"Snapshot\", \"kind\": \"Snapshot\",", StringComparison.Ordinal));
        Assert.Equal(DiagnosticCodes.DuplicateKey, d[0].Code);
    }

    [Theory]
    [InlineData("{\"a\": 1, \"b\": {\"c\": 1, \"c\": 2}}", 23)]
    [InlineData("{\"a\": 1, \"\\u0061\": 2}", 9)]
    [InlineData("[{\"a\": 1}, {\"a\": 1, \"b\": [], \"b\": 3}]", 29)]
    public void A_duplicate_key_is_found_by_the_loaders_own_scan_even_when_spelt_with_escapes(string json, long offset) =>
        Assert.Equal(offset, JsonFileLoader.FindDuplicateKey(System.Text.Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("{\"a\": {\"a\": 1}, \"b\": [{\"a\": 1}, {\"a\": 2}]}")]
    [InlineData("{\"a\": ")]
    public void Same_names_in_different_objects_or_broken_json_are_no_duplicate(string json) =>
        Assert.Equal(-1, JsonFileLoader.FindDuplicateKey(System.Text.Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Deep_nesting_is_refused_without_stack_overflow()
    {
        var deep = new string('[', 100_000) + new string(']', 100_000);
        var d = Fail(deep);
        Assert.Equal(DiagnosticCodes.InvalidJson, d[0].Code);
    }

    [Fact]
    public void Duplicate_host_names_are_refused()
    {
        var d = Fail(Minimal.Replace("{ \"name\": \"ZULU\", \"collection\": [] }", "{ \"name\": \"ZULU\", \"collection\": [] }, { \"name\": \"zulu\", \"collection\": [] }", StringComparison.Ordinal));
        Assert.Equal(DiagnosticCodes.DuplicateHost, d[0].Code);
        Assert.Equal(6, d[0].Line);
    }

    [Fact]
    public void Oversized_file_is_refused_before_reading()
    {
        using var dir = new TempDir();
        var path = dir.File("big.json");
        File.WriteAllText(path, Minimal);
        var e = Assert.Throws<InputException>(() => SnapshotLoader.Load(path, new LoadOptions { MaxBytes = 10 }));
        Assert.Equal(DiagnosticCodes.FileTooLarge, e.Diagnostics[0].Code);
    }

    [Fact]
    public void Missing_file_and_folder_are_clear()
    {
        using var dir = new TempDir();
        Assert.Equal(DiagnosticCodes.FileNotFound, Assert.Throws<InputException>(() => SnapshotLoader.Load(dir.File("nope.json"))).Diagnostics[0].Code);
        Assert.Contains("folder", Assert.Throws<InputException>(() => SnapshotLoader.Load(dir.Path)).Diagnostics[0].Message, StringComparison.Ordinal);
    }
}
