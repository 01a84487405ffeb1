using System.Globalization;
using System.Text;
using System.Text.Json;
using Audit.Tests.Common;
using Audit.Core.Results;

namespace Audit.Reports.Tests;

/// <summary>The findings data block embedded in report.html: streamed, script-safe, and the same JSON whatever the writer.</summary>
public sealed class HtmlDataBlockTests : IDisposable
{
    private const string Open = "<script type=\"application/json\" id=\"audit-data\">";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string DataBlock(string html)
    {
        var start = html.IndexOf(Open, StringComparison.Ordinal);
        Assert.True(start >= 0, "data block missing");
        start += Open.Length;
        var end = html.IndexOf("</script>", start, StringComparison.Ordinal);
        return html[start..end];
    }

    private static ResultsDocument WithNonAscii()
    {
        var h = TestResults.Hostile();
        var extra = new Verdict { RuleId = "KB-001", Severity = Severity.High, Scope = Scope.Host, Entity = EntityId.Host("HÔTE-Ærø-数据-😀"), Host = "HÔTE-Ærø-数据-😀", Outcome = Outcome.Fail, Message = "a < b && c > d 'q' + \"dq\" \\ <!-- -->" };
        var all = h.Results.Append(extra).ToList();
        return h with { Results = all, Summary = SummaryCalculator.Compute(all, h.Run.FailOn) };
    }

    [Fact]
    public void Streamed_to_a_file_and_built_as_a_string_the_report_is_byte_identical()
    {
        var results = WithNonAscii();
        var path = Path.Combine(_dir.Path, "r.html");
        using (var w = new StreamWriter(path, false, new UTF8Encoding(false)) { NewLine = "\n" })
        {
            HtmlReportRenderer.Render(results, w);
        }
        var viaString = HtmlReportRenderer.Render(results);
        Assert.Equal(viaString, File.ReadAllText(path, Encoding.UTF8));
    }

    [Fact]
    public void Data_block_has_no_markup_characters_and_reads_back_to_the_sanitized_strings()
    {
        var results = WithNonAscii();
        var block = DataBlock(HtmlReportRenderer.Render(results));
        Assert.DoesNotContain('<', block);
        Assert.DoesNotContain('>', block);
        Assert.DoesNotContain('&', block);

        using var doc = JsonDocument.Parse(block);
        var verdicts = doc.RootElement.GetProperty("verdicts");
        Assert.Equal(results.Results.Count, verdicts.GetArrayLength());
        int Field(string name) => ReportRowLayoutTests.Field(doc.RootElement, "verdict", name);
        for (var i = 0; i < results.Results.Count; i++)
        {
            var v = results.Results[i];
            var row = verdicts[i];
            Assert.Equal(TextSanitizer.Name(v.Entity.Key), row[Field("entity")].GetString());
            Assert.Equal(TextSanitizer.Display(v.Message), row[Field("message")].GetString());
            Assert.Equal(v.Expected is null ? null : TextSanitizer.Display(v.Expected), row[Field("expected")].GetString());
        }
        // Non-ASCII travels as UTF-8 (the page is declared utf-8); the encoder still escapes characters beyond the BMP.
        Assert.Contains("HÔTE-Ærø-数据-", block, StringComparison.Ordinal);
    }

    [Fact]
    public void Script_safe_stream_escapes_every_markup_byte_across_write_boundaries()
    {
        var text = "<a href='x'>&amp;</a> plain ü <!-- </script> -->";
        var bytes = Encoding.UTF8.GetBytes(text);
        using var ms = new MemoryStream();
        using (var safe = new ScriptSafeStream(ms))
        {
            foreach (var chunk in bytes.Chunk(3))
            {
                safe.Write(chunk, 0, chunk.Length);
            }
        }
        var expected = text.Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal).Replace("&", "\\u0026", StringComparison.Ordinal);
        Assert.Equal(expected, Encoding.UTF8.GetString(ms.ToArray()));
    }
}

/// <summary>The sanitizer's vectorised fast path must agree with the character loop for every UTF-16 code unit.</summary>
public sealed class TextSanitizerTests
{
    /// <summary>The definition, written out plainly: what <see cref="TextSanitizer.Display"/> must return.</summary>
    private static string Reference(string text, bool keepNewlines)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (char.IsHighSurrogate(ch) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(ch).Append(text[++i]);
                continue;
            }
            var bidi = ch is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
            var replace = char.IsSurrogate(ch) || (ch is '\n' or '\t' ? !keepNewlines : char.IsControl(ch) || bidi || ch is '\uFFFE' or '\uFFFF');
            sb.Append(replace ? "\\u" + ((int)ch).ToString("x4", CultureInfo.InvariantCulture) : ch.ToString());
        }
        return sb.ToString();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_code_unit_alone_and_in_text_is_treated_as_the_reference_says(bool keepNewlines)
    {
        for (var c = 0; c <= 0xFFFF; c++)
        {
            var s = "VM-" + (char)c + "-name";
            Assert.Equal(Reference(s, keepNewlines), TextSanitizer.Display(s, keepNewlines));
        }
        foreach (var s in TestResults.HostileNames.Append("pair 😀 ok").Append("\uDE00\uD83D reversed pair"))
        {
            Assert.Equal(Reference(s, keepNewlines), TextSanitizer.Display(s, keepNewlines));
        }
    }

    [Fact]
    public void Clean_text_is_returned_as_the_same_instance()
    {
        var s = "HV01/VM-0042 runs 6.3.9600.18080, expected 6.3.9600.18692";
        Assert.Same(s, TextSanitizer.Display(s));
    }
}
