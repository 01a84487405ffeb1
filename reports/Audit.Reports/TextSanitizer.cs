using System.Globalization;
using System.Text;

namespace Audit.Reports;

/// <summary>
/// Fact-derived strings (VM, host, share, task names) come from tenants. Before any renderer sees them, characters that
/// could act rather than show are made visible as \uXXXX: C0/C1 controls (terminal escape injection, invalid XML),
/// bidirectional overrides and isolates (text that displays reversed), and lone surrogates. Newline and tab are kept
/// where the output can show them (multi-line evidence); names are single-line.
/// </summary>
public static class TextSanitizer
{
    /// <summary>Every character the loop below may replace (surrogates included: pairs are kept there, lone ones are not).</summary>
    private static readonly System.Buffers.SearchValues<char> Suspects = System.Buffers.SearchValues.Create(Candidates(keepNewlines: false));
    private static readonly System.Buffers.SearchValues<char> SuspectsKeepingNewlines = System.Buffers.SearchValues.Create(Candidates(keepNewlines: true));

    /// <summary>
    /// Longest text shown in a report, JUnit file or terminal (characters): beyond it the text is cut and says how much
    /// was left out. results.json keeps every value whole; output stays bounded by the number of values, not their size.
    /// </summary>
    public const int MaxDisplayLength = 16 * 1024;

    /// <summary><paramref name="text"/> safe to show: suspect characters as \uXXXX, cut at <see cref="MaxDisplayLength"/>; empty for null.</summary>
    public static string Display(string? text, bool keepNewlines = true)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }
        return Escape(text.Length > MaxDisplayLength ? Cut(text.AsSpan(0, MaxDisplayLength), text.Length) : text, keepNewlines);
    }

    /// <summary>
    /// <see cref="Name(string?)"/> of <paramref name="prefix"/> + <paramref name="text"/>, without building that
    /// concatenation when it would be cut anyway (a hostile 50 MB entity name would otherwise be copied once per verdict).
    /// </summary>
    public static string Name(string prefix, string? text)
    {
        text ??= "";
        var total = prefix.Length + text.Length;
        if (total <= MaxDisplayLength || prefix.Length >= MaxDisplayLength)
        {
            return Name(prefix + text);
        }
        return Escape(Cut(string.Concat(prefix.AsSpan(), text.AsSpan(0, MaxDisplayLength - prefix.Length)), total), keepNewlines: false);
    }

    /// <summary>The first <see cref="MaxDisplayLength"/> characters of a longer text (never half a surrogate pair) and how many were left out.</summary>
    private static string Cut(ReadOnlySpan<char> head, int totalLength)
    {
        var cut = char.IsHighSurrogate(head[MaxDisplayLength - 1]) ? MaxDisplayLength - 1 : MaxDisplayLength;
        return string.Concat(head[..cut], $"\u2026 [{totalLength - cut:N0} more characters; the whole value is in results.json]");
    }

    private static string Escape(string text, bool keepNewlines)
    {
        // Nearly every string is clean: one vectorised scan decides, and the text is returned as is.
        var first = text.AsSpan().IndexOfAny(keepNewlines ? SuspectsKeepingNewlines : Suspects);
        if (first < 0)
        {
            return text;
        }
        StringBuilder? sb = null;
        for (var i = first; i < text.Length; i++)
        {
            var ch = text[i];
            var replace = false;
            if (char.IsHighSurrogate(ch))
            {
                if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    sb?.Append(ch).Append(text[i + 1]);
                    i++;
                    continue;
                }
                replace = true;
            }
            else if (char.IsLowSurrogate(ch))
            {
                replace = true;
            }
            else
            {
                replace = Replaced(ch, keepNewlines);
            }
            if (replace)
            {
                sb ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
                sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb?.Append(ch);
            }
        }
        return sb?.ToString() ?? text;
    }

    /// <summary>Single-line form for names and identifiers: newlines and tabs made visible too.</summary>
    public static string Name(string? text) => Display(text, keepNewlines: false);

    private static string Candidates(bool keepNewlines)
    {
        var sb = new StringBuilder();
        for (var c = 0; c <= 0xFFFF; c++)
        {
            var ch = (char)c;
            if (Replaced(ch, keepNewlines) || char.IsSurrogate(ch))
            {
                sb.Append(ch);
            }
        }
        return sb.ToString();
    }

    /// <summary>Whether a character that is not a surrogate is shown as \uXXXX.</summary>
    private static bool Replaced(char ch, bool keepNewlines) =>
        ch is '\n' or '\t' ? !keepNewlines : char.IsControl(ch) || IsBidiControl(ch) || ch is '\uFFFE' or '\uFFFF';

    private static bool IsBidiControl(char ch) => ch is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
