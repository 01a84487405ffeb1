using System.Text.RegularExpressions;
using Audit.Core;

namespace Audit.Tests.Common;

/// <summary>Runs one mutated input through a loader with a time limit and says what is wrong with how it was handled.</summary>
public static partial class FuzzCheck
{
    public const int DefaultCases = 700;

    [GeneratedRegex("^AUD[0-9]{4}$")]
    private static partial Regex Code();

    /// <summary>Cases per fuzz test: AUDIT_FUZZ_CASES, or <paramref name="fallback"/>.</summary>
    public static int CaseCount(int fallback = DefaultCases) =>
        int.TryParse(Environment.GetEnvironmentVariable("AUDIT_FUZZ_CASES"), out var n) && n > 0 ? n : fallback;

    /// <summary>
    /// Problems with the outcome of one mutated input, empty when it is handled well: the loader returns its diagnostics
    /// (empty when it accepted the input); each must have a code, the file and a line and column. An exception escaping
    /// the loader, or no answer within <paramref name="limit"/>, is a problem.
    /// </summary>
    public static IReadOnlyList<string> Problems(JsonMutator.Mutation m, string file, Func<byte[], IReadOnlyList<Diagnostic>> load, TimeSpan limit, out bool refused, Func<Diagnostic, bool>? positionNotNeeded = null)
    {
        var task = Task.Run(() =>
        {
            try
            {
                return (Diagnostics: load(m.Bytes), Error: (string?)null);
            }
            catch (Exception e)
            {
                return (Diagnostics: (IReadOnlyList<Diagnostic>)[], Error: $"{e.GetType().Name}: {e.Message}");
            }
        });
        refused = false;
        if (!task.Wait(limit))
        {
            return [$"{m}: no answer within {limit.TotalSeconds} s"];
        }
        var (diagnostics, error) = task.Result;
        if (error is not null)
        {
            return [$"{m}: unhandled {error}"];
        }
        refused = diagnostics.Any(d => d.Level == DiagnosticLevel.Error);
        var problems = new List<string>();
        foreach (var d in diagnostics)
        {
            var positioned = d.File == file && d.Line >= 1 && d.Column >= 1;
            if (!Code().IsMatch(d.Code) || string.IsNullOrWhiteSpace(d.Message) || (!positioned && positionNotNeeded?.Invoke(d) != true))
            {
                problems.Add($"{m}: diagnostic without code, file or position: {d}");
            }
        }
        return problems;
    }
}
