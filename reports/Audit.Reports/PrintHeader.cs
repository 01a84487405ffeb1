using System.Globalization;
using System.Text;
using Audit.Core.Results;

namespace Audit.Reports;

/// <summary>
/// The header every printed page carries (Chromium's @page margin boxes): verdict, snapshot sha256 and each rule set's
/// id, version and sha256 prefix, so a single page of an evidence pack still says what it is evidence of. Written as a
/// CSS string in which every character outside a small safe set is a CSS escape, so no rule-set id can end it.
/// </summary>
internal static class PrintHeader
{
    /// <summary>Hex digits of each rule set's sha256 shown on every page (the full hashes are in the provenance).</summary>
    public const int RuleSetHashDigits = 16;

    public static string Text(ResultsDocument results)
    {
        var run = results.Run;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{results.Summary.Verdict.ToUpperInvariant()} (exit {results.Summary.ExitCode}) | snapshot {ReportView.Iso(run.Snapshot.CollectedAt)} sha256 {run.Snapshot.Sha256} | rule sets (sha256 prefix):");
        foreach (var rs in run.RuleSets)
        {
            sb.Append(' ').Append(TextSanitizer.Name(rs.Id)).Append(' ').Append(TextSanitizer.Name(rs.Version)).Append(' ')
                .Append(rs.Sha256.AsSpan(0, Math.Min(RuleSetHashDigits, rs.Sha256.Length)));
            sb.Append(';');
        }
        return sb.ToString().TrimEnd(';');
    }

    public static string Css(ResultsDocument results) =>
        "@page { margin: 24mm 12mm 14mm 12mm; @top-left { content: " + CssString(Text(results)) +
        "; font: 8px/1.3 \"DejaVu Sans Mono\", monospace; color: #333; vertical-align: bottom; } @bottom-right { content: \"page \" counter(page) \" of \" counter(pages); font: 8px \"DejaVu Sans\", sans-serif; } }";

    /// <summary>A CSS string literal: letters, digits and a few punctuation marks as they are, anything else as a 6-digit escape.</summary>
    public static string CssString(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value < 128 && (char.IsAsciiLetterOrDigit((char)rune.Value) || " .,:;()|-_".Contains((char)rune.Value, StringComparison.Ordinal)))
            {
                sb.Append((char)rune.Value);
            }
            else
            {
                sb.Append('\\').Append(rune.Value.ToString("X6", CultureInfo.InvariantCulture));
            }
        }
        return sb.Append('"').ToString();
    }
}
