using System.Globalization;
using Audit.Core;
using Audit.Core.Results;

namespace Audit.Reports;

/// <summary>Options of the console summary.</summary>
public sealed record ConsoleOptions
{
    /// <summary>ANSI colour: only on a terminal and when NO_COLOR is not set (the caller decides).</summary>
    public bool Color { get; init; }
    /// <summary>Only the one-line verdict.</summary>
    public bool Quiet { get; init; }
    /// <summary>At most this many failing checks listed per severity (the rest counted); 0 lists all.</summary>
    public int MaxPerSeverity { get; init; } = 50;
}

/// <summary>
/// The console summary a CI log reader sees: the one-line verdict first, a compact table of outcomes by severity, then
/// failing and erroring checks grouped by severity. Fact strings are sanitized, so a VM name cannot emit terminal escapes.
/// </summary>
public static class ConsoleRenderer
{
    private const string Reset = "\u001b[0m";

    /// <summary>Writes the console summary of <paramref name="results"/> to <paramref name="output"/>.</summary>
    public static void Render(ResultsDocument results, TextWriter output, ConsoleOptions options)
    {
        var s = results.Summary;
        var o = s.ByOutcome;
        var verdictColour = s.Verdict switch { "compliant" => "\u001b[1;32m", "incomplete" => "\u001b[1;33m", _ => "\u001b[1;31m" };
        output.WriteLine(Paint(options, verdictColour, $"AUDIT {s.Verdict.ToUpperInvariant()}:")
            + Inv($" {o.Fail} failed, {o.Error} errors, {o.Pass} passed, {o.NotApplicable} not applicable, {o.Waived} waived ({results.Run.Snapshot.Hosts} hosts, {s.Total} checks; exit {s.ExitCode}, gate: {results.Run.FailOn.Name()})"));
        if (options.Quiet)
        {
            return;
        }
        if (results.Drift is { } drift)
        {
            // What changed since the last run comes first: a nightly reader wants the new failures.
            DriftTextWriter.Write(output, drift, brief: true);
        }
        output.WriteLine();
        output.WriteLine("  severity     fail  error  waived   pass    n/a  total");
        foreach (var sev in Enum.GetValues<Severity>())
        {
            var c = s.BySeverity.TryGetValue(sev, out var x) ? x : new OutcomeCounts();
            var fail = Inv($"{c.Fail,6}");
            output.WriteLine(Inv($"  {sev.Name(),-9}") + (c.Fail > 0 ? Paint(options, "\u001b[31m", fail) : fail) + Inv($" {c.Error,6} {c.Waived,7} {c.Pass,6} {c.NotApplicable,6} {c.Total,6}"));
        }
        output.WriteLine(Inv($"  {"total",-9}{o.Fail,6} {o.Error,6} {o.Waived,7} {o.Pass,6} {o.NotApplicable,6} {o.Total,6}"));

        var bad = results.Results.Where(v => v.Outcome is Outcome.Fail or Outcome.Error).ToList();
        foreach (var group in bad.GroupBy(v => v.Severity).OrderBy(g => g.Key))
        {
            output.WriteLine();
            output.WriteLine(Paint(options, "\u001b[1m", Inv($"{group.Key.Name().ToUpperInvariant()} ({group.Count()})")));
            var list = group.OrderBy(v => v.Outcome).ThenBy(v => v.RuleId, StringComparer.Ordinal).ThenBy(v => v.Entity.Key, StringComparer.Ordinal).ToList();
            var shown = options.MaxPerSeverity > 0 ? list.Take(options.MaxPerSeverity).ToList() : list;
            foreach (var v in shown)
            {
                var word = v.Outcome == Outcome.Fail ? Paint(options, "\u001b[31m", "fail ") : Paint(options, "\u001b[33m", "error");
                // Most messages open with their entity ("ZULU/VM1 has ..."): say it once.
                output.WriteLine(v.Message.StartsWith(v.Entity.Key, StringComparison.Ordinal)
                    ? $"  {word} {TextSanitizer.Name(v.RuleId)} {TextSanitizer.Name(v.Message)}"
                    : $"  {word} {TextSanitizer.Name(v.RuleId)} {TextSanitizer.Name(v.Entity.Key)}: {TextSanitizer.Name(v.Message)}");
            }
            if (shown.Count < list.Count)
            {
                output.WriteLine(Inv($"  ... and {list.Count - shown.Count} more (see the HTML report or results.json)"));
            }
        }
    }

    private static string Paint(ConsoleOptions options, string code, string text) => options.Color ? code + text + Reset : text;

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
