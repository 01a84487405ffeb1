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
            // Line by line: the outputs of 10,000 hosts are larger than one string may be (results.json 1.2 GB).
            using var ea = MaskedLines(pa).GetEnumerator();
            using var eb = MaskedLines(pb).GetEnumerator();
            var line = 0;
            while (true)
            {
                var (hasA, hasB) = (ea.MoveNext(), eb.MoveNext());
                line++;
                if (!hasA && !hasB)
                {
                    break;
                }
                var (la, lb) = (hasA ? ea.Current : null, hasB ? eb.Current : null);
                if (la != lb)
                {
                    static string Cut(string? l) => l is null ? "<end of file>" : l.Length > 200 ? l[..200] + "..." : l;
                    problems.Add($"{name}: first difference at line {line}:\n  {a}: {Cut(la)}\n  {b}: {Cut(lb)}");
                    break;
                }
            }
        }
        if (compared == 0)
        {
            problems.Add($"no outputs to compare in {a} and {b}");
        }
        return problems;
    }

    /// <summary>The file's lines, masked; the lines of an indented <c>ruleTimingsMs</c> object become one placeholder.</summary>
    private static IEnumerable<string> MaskedLines(string path)
    {
        using var reader = new StreamReader(path);
        var inTimings = false;
        while (reader.ReadLine() is { } line)
        {
            if (inTimings)
            {
                inTimings = !line.Contains('}', StringComparison.Ordinal);
                continue;
            }
            if (line.Contains("\"ruleTimingsMs\": {", StringComparison.Ordinal) && !line.Contains('}', StringComparison.Ordinal))
            {
                inTimings = true;
                yield return "\"ruleTimingsMs\": {MASKED}";
                continue;
            }
            yield return Mask(line);
        }
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
