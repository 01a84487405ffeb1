using System.Text.RegularExpressions;

namespace Audit.Benchmarks;

/// <summary>
/// Compares the outputs of two runs (two builds, or before and after a change) byte for byte, with only what differs
/// from run to run by design masked: timestamps, run durations, per-rule timings and the build's commit.
/// </summary>
public static partial class OutputCompare
{
    public static readonly string[] Files = ["results.json", "junit.xml", "report.html"];

    /// <summary>Differences between the outputs in two folders, empty when they are identical (masked); a file missing from both is skipped.</summary>
    public static List<string> Compare(string a, string b)
    {
        var problems = new List<string>();
        var compared = 0;
        foreach (var name in Files)
        {
            var (pa, pb) = (Path.Combine(a, name), Path.Combine(b, name));
            if (!File.Exists(pa) && !File.Exists(pb))
            {
                continue;
            }
            if (!File.Exists(pa) || !File.Exists(pb))
            {
                problems.Add($"{name}: only in {(File.Exists(pa) ? a : b)}");
                continue;
            }
            compared++;
            var (ta, tb) = (Mask(File.ReadAllText(pa)), Mask(File.ReadAllText(pb)));
            if (ta == tb)
            {
                continue;
            }
            var (la, lb) = (ta.Split('\n'), tb.Split('\n'));
            var i = 0;
            while (i < la.Length && i < lb.Length && la[i] == lb[i])
            {
                i++;
            }
            static string Cut(string[] lines, int i) => i < lines.Length ? (lines[i].Length > 200 ? lines[i][..200] + "..." : lines[i]) : "<end of file>";
            problems.Add($"{name}: first difference at line {i + 1}:\n  {a}: {Cut(la, i)}\n  {b}: {Cut(lb, i)}");
        }
        if (compared == 0)
        {
            problems.Add($"no outputs to compare in {a} and {b}");
        }
        return problems;
    }

    public static string Mask(string text)
    {
        text = RuleTimings().Replace(text, "\"ruleTimingsMs\": {MASKED}");
        text = Timestamp().Replace(text, "TIME");
        text = Took().Replace(text, "took DURATION");
        text = JUnitTime().Replace(text, " time=\"DURATION\"");
        text = Commit().Replace(text, "${1}COMMIT");
        return text;
    }

    [GeneratedRegex("\"ruleTimingsMs\": \\{[^}]*\\}")]
    private static partial Regex RuleTimings();

    [GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"took [0-9.,]+ ?[a-z]+")]
    private static partial Regex Took();

    [GeneratedRegex(@" time=""[0-9.]+""")]
    private static partial Regex JUnitTime();

    [GeneratedRegex(@"(commit |""toolCommit"": ""|toolCommit"" value="")([0-9a-f]{7,40}|unknown)")]
    private static partial Regex Commit();
}
