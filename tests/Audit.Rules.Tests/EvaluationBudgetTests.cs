using System.Globalization;
using System.Reflection;
using Audit.Rules.Compilation;
using Audit.Core.Results;

namespace Audit.Rules.Tests;

/// <summary>
/// Allowed expressions that would exhaust memory or wrap around: each is an error verdict naming the rule, the run goes
/// on, and overflow never becomes a pass (<see cref="EvaluationBudget"/>).
/// </summary>
public class EvaluationBudgetTests
{
    private static Verdict Check(string assert, object? let = null)
    {
        var catalog = RuleSetText.Compile(
            RuleSetText.Rule("T-BOMB-001", "host", assert, let: let),
            RuleSetText.Rule("T-FINE-001", "host", "host.Name == \"A\""));
        var results = RuleSetText.Evaluate(catalog, Facts.Snapshot(Facts.Host("A")));
        // The other rule of the run is evaluated as usual.
        Assert.Equal(Outcome.Pass, results.Results.Single(v => v.RuleId == "T-FINE-001").Outcome);
        return results.Results.Single(v => v.RuleId == "T-BOMB-001");
    }

    [Theory]
    [InlineData("chained Replace", "host.Name.Replace(\"A\", r2).Replace(\"A\", r2).Replace(\"A\", r2).Replace(\"A\", r2).Replace(\"A\", r2).Length > 0", "string of")]
    [InlineData("string doubling", "(host.Name + host.Name + host.Name + host.Name).Replace(\"A\", r2).Replace(\"A\", r2).Replace(\"A\", r2).Replace(\"A\", r2).Length > 0", "string of")]
    [InlineData("nested SelectMany", "host.Name.Replace(\"A\", \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\").SelectMany(a => host.Name.Replace(\"A\", \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\").SelectMany(b => host.Name.Replace(\"A\", \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\").SelectMany(c => host.Name.Replace(\"A\", \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\")))).Count() > 0", "elements")]
    // Replacements built from facts: no literal tells validate how far they grow (literal chains are refused at load:
    // FaultTests), so the evaluation budget must stop them.
    public void An_expression_growing_without_bound_is_an_error_naming_the_rule(string what, string assert, string expected)
    {
        // r2: 80 characters made from the host's name, so its length is not a literal.
        var v = Check(assert, new Dictionary<string, string> { ["r"] = "host.Name.Replace(\"A\", \"AAAAAAAA\")", ["r2"] = "r + r + r + r + r + r + r + r + r + r" });
        Assert.True(v.Outcome == Outcome.Error, $"{what}: {v.Outcome} {v.Message}");
        Assert.Contains("exceeds the evaluation budget", v.Message, StringComparison.Ordinal);
        Assert.Contains(expected, v.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nested_enumeration_of_lists_is_bounded_as_enumeration_of_lazy_sequences_is()
    {
        // A list (or array) is charged whole when an operator is applied to it, without a counting wrapper: 100^4 elements
        // visited by nested operators over a 100-element list must still stop at the budget (every operator here is applied
        // to the list itself, so nothing is counted element by element).
        var v = Check("big.Any(a => big.Any(b => big.Any(c => big.Count(d => d == 'B') > 0)))",
            new Dictionary<string, string> { ["big"] = "host.Name.Replace(\"A\", \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\").ToList()" });
        Assert.True(v.Outcome == Outcome.Error, $"{v.Outcome} {v.Message}");
        Assert.Contains("exceeds the evaluation budget", v.Message, StringComparison.Ordinal);
        Assert.Contains("elements", v.Message, StringComparison.Ordinal);
        // Within the budget, a list's operators give what they always gave.
        Assert.Equal(Outcome.Pass, Check("big.Where(c => c == 'A').Count() == 100 && big.Any() && big.First() == 'A' && big.Select(c => 1).Sum() == 100",
            new Dictionary<string, string> { ["big"] = "host.Name.Replace(\"A\", \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\").ToList()" }).Outcome);
    }

    [Theory]
    [InlineData("\"a\" + 1 + 2 == \"a12\"")]
    [InlineData("1 + 2 + \"a\" == \"3a\"")]
    [InlineData("\"<\" + host.Name + \"-\" + host.Os.ProductType + \">\" == \"<A-3>\"")]
    [InlineData("host.Name + host.Fqdn + host.Name == \"Aa.lab.testA\"")]
    [InlineData("(host.Name + \"x\") + (\"y\" + host.Name) == \"AxyA\"")]
    [InlineData("host.Cluster + \"|\" + host.Cluster + \"|\" == \"||\"")]
    [InlineData("(host.Name + \"-\" + host.Name).Length == 3")]
    public void A_chain_of_concatenations_means_what_it_meant_one_plus_at_a_time(string assert)
    {
        var v = Check(assert);
        Assert.True(v.Outcome == Outcome.Pass, $"{assert}: {v.Outcome} {v.Message}");
    }

    [Theory]
    [InlineData("host.Os.ProductType * 2147483647 * 2147483647 > 0")]
    [InlineData("host.Os.ProductType + 2147483647 > 0")]
    [InlineData("-(host.Os.ProductType - 3 - 2147483647 - 2) > 0")]
    [InlineData("int(host.Os.ProductType * 3000000000L) > 0")]
    public void Integer_overflow_is_an_error_never_a_wrapped_value(string assert)
    {
        var v = Check(assert);
        Assert.True(v.Outcome == Outcome.Error, $"{assert}: {v.Outcome} {v.Message}");
        Assert.Contains("overflow", v.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Ordinary_arithmetic_and_strings_are_untouched()
    {
        Assert.Equal(Outcome.Pass, Check("host.Os.ProductType * 2 + 1 == 7 && (host.Name + \"-\" + host.Name).Replace(\"-\", \"+\") == \"A+A\" && host.Hotfixes.Select(h => h.Id).Count() == 1").Outcome);
        Assert.Equal(Outcome.Pass, Check("Fn.Join(host.Hotfixes.Select(h => h.Id)) == \"KB2770917\"").Outcome);
    }

    /// <summary>
    /// The Fn functions that take numbers, durations, dates and versions, called with extreme values: each answers or throws
    /// FactException (an error verdict with its message); no other exception, and never a value that wrapped around.
    /// </summary>
    [Fact]
    public void Fn_with_extreme_values_answers_or_says_why_it_cannot()
    {
        string?[] texts =
        [
            null, "", " ", "P400000000W", "P9999999999999999999W", "P-1W", "PT9999999999999999H", "P99999999999999Y", "P7D", "P1W",
            "99999999999999999999", "2147483648.1", "6.2.9200", "6.2.9200.99999999999", "-1.0", "1.2.3.4.5", "6.1 (7601)", "6.1 (99999999999)",
            "9999-12-31", "0001-01-01", "2026-02-30", "\u202e6.2", "6.2\u0000", new string('9', 10_000),
        ];
        var now = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
        var calls = new List<(string Name, Func<object?> Call)>();
        foreach (var t in texts)
        {
            calls.Add(($"DurationDays({Show(t)})", () => Fn.DurationDays(t)));
            calls.Add(($"Ver({Show(t)})", () => Fn.Ver(t)));
            calls.Add(($"VerAtLeast({Show(t)})", () => Fn.VerAtLeast(t, "6.2")));
            calls.Add(($"MajorMinor({Show(t)})", () => Fn.MajorMinor(t)));
            calls.Add(($"Build({Show(t)})", () => Fn.Build(t)));
            calls.Add(($"Date({Show(t)})", () => Fn.Date(t)));
            calls.Add(($"DaysUntil({Show(t)}, now)", () => Fn.DaysUntil(t, now)));
            calls.Add(($"DaysUntil({Show(t)}, max)", () => Fn.DaysUntil(t, DateTimeOffset.MaxValue)));
            calls.Add(($"DaysUntil({Show(t)}, min)", () => Fn.DaysUntil(t, DateTimeOffset.MinValue)));
            calls.Add(($"OsVersionNumber({Show(t)})", () => Fn.OsVersionNumber(t)));
            calls.Add(($"Kb({Show(t)})", () => t is null ? null : Fn.Kb(t)));
        }
        foreach (var then in new DateTimeOffset?[] { null, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, now })
        {
            foreach (var at in new[] { DateTimeOffset.MinValue, DateTimeOffset.MaxValue, now })
            {
                calls.Add(($"DaysSince({then}, {at})", () => Fn.DaysSince(then, at)));
            }
        }
        foreach (var n in new long?[] { null, long.MinValue, long.MaxValue, 0, -1 })
        {
            calls.Add(($"Hex({n})", () => Fn.Hex(n)));
        }
        foreach (var n in new int?[] { null, int.MinValue, int.MaxValue })
        {
            calls.Add(($"Str({n})", () => Fn.Str(n)));
        }
        var problems = new List<string>();
        foreach (var (name, call) in calls)
        {
            try
            {
                var value = call();
                if (value is double d && (double.IsNaN(d) || double.IsInfinity(d)))
                {
                    problems.Add($"{name} returned {d}");
                }
                if (name.StartsWith("DurationDays", StringComparison.Ordinal) && value is double days && days < 0)
                {
                    problems.Add($"{name} returned a negative duration {days}");
                }
            }
            catch (FactException)
            {
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                problems.Add($"{name} threw {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(calls.Count > 250, calls.Count.ToString(CultureInfo.InvariantCulture));
    }

    private static string Show(string? t) => t is null ? "null" : t.Length > 24 ? t[..24] + "..." : t;

    /// <summary>Every public Fn method is either in the extreme-value fuzz above or takes only facts (records) and lists.</summary>
    [Fact]
    public void The_fuzz_covers_every_Fn_function_of_scalar_arguments()
    {
        string[] fuzzed = ["DurationDays", "Ver", "VerAtLeast", "MajorMinor", "Build", "Date", "DaysUntil", "OsVersionNumber", "Kb", "DaysSince", "Hex", "Str"];
        // Scalar-only functions that cannot overflow: they look up, compare or join, and never compute on numbers.
        string[] safe = ["TryVer", "Need", "Text", "HasBits"];
        var scalar = typeof(Fn).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.GetParameters().All(p => (Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType) is var t && (t.IsPrimitive || t == typeof(string) || t == typeof(DateTimeOffset) || t == typeof(object))))
            .Select(m => m.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Empty(scalar.Except(fuzzed).Except(safe));
    }
}
