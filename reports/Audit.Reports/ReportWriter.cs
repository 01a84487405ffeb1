using System.Text;
using System.Text.Json;
using Audit.Core;
using Audit.Core.Results;

namespace Audit.Reports;

/// <summary>The outputs a run or <c>audit report</c> can write.</summary>
[Flags]
public enum OutputFormats
{
    /// <summary>No output.</summary>
    None = 0,
    /// <summary>report.html, the auditor's report.</summary>
    Html = 1,
    /// <summary>junit.xml, for CI systems.</summary>
    JUnit = 2,
    /// <summary>results.json, the machine-readable record (schema/results.v1.schema.json).</summary>
    Json = 4,
    /// <summary>The summary printed on standard output.</summary>
    Console = 8,
    /// <summary>Every output.</summary>
    All = Html | JUnit | Json | Console,
}

/// <summary>Names of <see cref="OutputFormats"/> as --format spells them.</summary>
public static class OutputFormatNames
{
    /// <summary>Each single format with its name, in the order help lists them.</summary>
    public static readonly IReadOnlyList<(string Name, OutputFormats Format)> All =
        [("html", OutputFormats.Html), ("junit", OutputFormats.JUnit), ("json", OutputFormats.Json), ("console", OutputFormats.Console)];

    /// <summary>The format named <paramref name="name"/> (case-insensitive), or false.</summary>
    public static bool TryParse(string name, out OutputFormats format)
    {
        foreach (var (n, f) in All)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                format = f;
                return true;
            }
        }
        format = OutputFormats.None;
        return false;
    }
}

/// <summary>Writes the chosen file outputs of a finished results document, all or none (temp files renamed together).</summary>
public static class ReportWriter
{
    /// <summary>The results.json file name.</summary>
    public const string ResultsFile = "results.json";
    /// <summary>The HTML report's file name.</summary>
    public const string HtmlFile = "report.html";
    /// <summary>The JUnit XML file name.</summary>
    public const string JUnitFile = "junit.xml";

    /// <summary>Renders the file outputs in <paramref name="formats"/> into <paramref name="outDir"/>.</summary>
    /// <returns>The file names written, in a fixed order (results, JUnit, HTML).</returns>
    public static IReadOnlyList<string> Write(ResultsDocument results, OutputFormats formats, string outDir, string? template = null, CancellationToken cancel = default)
    {
        // Rendered in parallel to temporary files, renamed only when all succeeded: a failing (custom) template or a
        // full disk leaves the previous report, JUnit and results together, never a mix of two runs.
        var files = new List<(string Path, Action<Stream> Write)>();
        var written = new List<string>();
        if (formats.HasFlag(OutputFormats.Json))
        {
            files.Add((Path.Combine(outDir, ResultsFile), s => JsonSerializer.Serialize(s, results, AuditJson.Options)));
            written.Add(ResultsFile);
        }
        if (formats.HasFlag(OutputFormats.JUnit))
        {
            files.Add((Path.Combine(outDir, JUnitFile), s => JUnitRenderer.Render(results, s)));
            written.Add(JUnitFile);
        }
        if (formats.HasFlag(OutputFormats.Html))
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
}
