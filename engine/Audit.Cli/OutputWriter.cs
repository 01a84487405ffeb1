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

    public static IReadOnlyList<string> Write(ResultsDocument results, IReadOnlySet<string> formats, string outDir, string? template = null, CancellationToken cancel = default)
    {
        // Rendered in parallel to temporary files, renamed only when all succeeded: a failing (custom) template or a
        // full disk leaves the previous report, JUnit and results together, never a mix of two runs.
        var files = new List<(string Path, Action<Stream> Write)>();
        var written = new List<string>();
        if (formats.Contains("json"))
        {
            files.Add((Path.Combine(outDir, ResultsFile), s => JsonSerializer.Serialize(s, results, AuditJson.Options)));
            written.Add(ResultsFile);
        }
        if (formats.Contains("junit"))
        {
            files.Add((Path.Combine(outDir, JUnitFile), s => JUnitRenderer.Render(results, s)));
            written.Add(JUnitFile);
        }
        if (formats.Contains("html"))
        {
            files.Add((Path.Combine(outDir, HtmlFile), s =>
            {
                using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
                HtmlReportRenderer.Render(results, w, template, cancel);
            }
            ));
            written.Add(HtmlFile);
        }
        AtomicFile.WriteAll(files, cancel);
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
