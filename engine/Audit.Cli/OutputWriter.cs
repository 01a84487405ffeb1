using System.Text;
using System.Text.Json;
using Audit.Core;
using Audit.Reports;

namespace Audit.Cli;

/// <summary>Writes the chosen outputs, each atomically (temp file + rename), and prints the console summary.</summary>
internal static class OutputWriter
{
    public const string ResultsFile = "results.json";
    public const string HtmlFile = "report.html";
    public const string JUnitFile = "junit.xml";

    public static IReadOnlyList<string> Write(ResultsDocument results, IReadOnlySet<string> formats, string outDir, string? template = null)
    {
        var written = new List<string>();
        // The HTML (the one output a custom template can break) first: if it fails, no earlier output was replaced.
        if (formats.Contains("html"))
        {
            AtomicFile.Write(Path.Combine(outDir, HtmlFile), s =>
            {
                using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
                HtmlReportRenderer.Render(results, w, template);
            });
            written.Add(HtmlFile);
        }
        if (formats.Contains("json"))
        {
            AtomicFile.Write(Path.Combine(outDir, ResultsFile), s => JsonSerializer.Serialize(s, results, AuditJson.Options));
            written.Add(ResultsFile);
        }
        if (formats.Contains("junit"))
        {
            AtomicFile.Write(Path.Combine(outDir, JUnitFile), s => JUnitRenderer.Render(results, s));
            written.Add(JUnitFile);
        }
        return written;
    }

    public static void PrintConsole(CliContext ctx, ResultsDocument results, bool console, bool quiet, IReadOnlyList<string> written, string outDir)
    {
        ConsoleRenderer.Render(results, ctx.Out, new ConsoleOptions { Color = ctx.Env.Color, Quiet = quiet || !console });
        if (console && !quiet && written.Count > 0)
        {
            ctx.Out.WriteLine();
            ctx.Out.WriteLine(CliContext.Sanitize($"Wrote {string.Join(", ", written.Select(w => Path.Combine(outDir, w)))}"));
        }
    }
}
