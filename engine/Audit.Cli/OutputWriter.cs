using System.Text.Json;
using Audit.Core;

namespace Audit.Cli;

/// <summary>Writes the chosen outputs, each atomically (temp file + rename), and prints the console summary.</summary>
internal static class OutputWriter
{
    public static IReadOnlyList<string> Write(ResultsDocument results, IReadOnlySet<string> formats, string outDir)
    {
        var written = new List<string>();
        if (formats.Contains("json"))
        {
            var path = Path.Combine(outDir, "results.json");
            AtomicFile.Write(path, s => JsonSerializer.Serialize(s, results, AuditJson.Options));
            written.Add("results.json");
        }
        return written;
    }

    public static void PrintConsole(CliContext ctx, ResultsDocument results, bool full, IReadOnlyList<string> written, string outDir)
    {
        var s = results.Summary;
        var o = s.ByOutcome;
        ctx.Out.WriteLine($"AUDIT {s.Verdict.ToUpperInvariant()}: {o.Fail} failed, {o.Error} errors, {o.Pass} passed, {o.NotApplicable} not applicable, {o.Waived} waived ({results.Run.Snapshot.Hosts} hosts, {s.Total} checks)");
        if (full)
        {
            foreach (var v in results.Results.Where(v => v.Outcome is Outcome.Fail or Outcome.Error).OrderBy(v => v.Severity).ThenBy(v => v.RuleId, StringComparer.Ordinal))
            {
                ctx.Out.WriteLine(CliContext.Sanitize($"  {v.Outcome.Name(),-5} {v.Severity.Name(),-8} {v.RuleId} {v.Entity}: {v.Message}"));
            }
            if (written.Count > 0)
            {
                ctx.Out.WriteLine($"Wrote {string.Join(", ", written.Select(w => Path.Combine(outDir, w)))}");
            }
        }
    }
}
