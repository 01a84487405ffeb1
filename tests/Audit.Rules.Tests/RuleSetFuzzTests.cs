using System.Diagnostics;
using Audit.Core;
using Audit.Tests.Common;
using Xunit.Abstractions;
using Audit.Rules.Compilation;
using Audit.Core.Loading;

namespace Audit.Rules.Tests;

/// <summary>
/// Seeded mutations of shipped rule set files through the rule set loader (strict JSON, schema, expression parsing and
/// allow-list, compilation): each one compiles or gives error diagnostics with code, file, line and column; never an
/// unhandled exception, never a hang. AUDIT_FUZZ_CASES raises the number of cases.
/// </summary>
public class RuleSetFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Mutated_rule_sets_compile_or_are_refused_with_positioned_diagnostics()
    {
        string[] sources = ["smb.json", "trim.json", "hotfixes.json"];
        var originals = sources.Select(f => File.ReadAllBytes(Path.Combine(RepoPaths.Rules, f))).ToArray();
        var cases = FuzzCheck.CaseCount(600);
        var problems = new List<string>();
        var refused = 0;
        var byKind = new Dictionary<string, (int Cases, int Refused)>();
        var sw = Stopwatch.StartNew();
        using var dir = new TempDir();
        var path = dir.File("fuzz.json");
        for (var seed = 0; seed < cases; seed++)
        {
            var m = JsonMutator.Mutate(originals[seed % originals.Length], seed);
            problems.AddRange(FuzzCheck.Problems(m, "fuzz.json", bytes =>
            {
                File.WriteAllBytes(path, bytes);
                var result = RuleSetLoader.Load([path], new RuleLoadOptions { Load = new LoadOptions() });
                var display = result.Diagnostics.Select(d => d with { File = d.File is null ? null : Path.GetFileName(d.File) }).ToList();
                if (!result.Succeeded && !display.Any(d => d.Level == DiagnosticLevel.Error))
                {
                    display.Add(new Diagnostic("none", DiagnosticLevel.Error, "refused without a diagnostic"));
                }
                return display;
            }, TimeSpan.FromSeconds(30), out var r,
            // "no rules at all" concerns the whole set of files, not a place in one.
            positionNotNeeded: d => d.Code == DiagnosticCodes.NoRules));
            refused += r ? 1 : 0;
            var k = byKind.GetValueOrDefault(m.Kind);
            byKind[m.Kind] = (k.Cases + 1, k.Refused + (r ? 1 : 0));
        }
        output.WriteLine($"rule set fuzz: {cases} cases in {sw.Elapsed.TotalSeconds:F1} s, {refused} refused with diagnostics, {cases - refused} compiled");
        foreach (var (kind, (n, rej)) in byKind.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {kind}: {n} cases, {rej} refused");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        Assert.True(refused > cases / 2, $"only {refused} of {cases} refused");
    }

    [Fact]
    public void A_rule_file_over_the_limit_is_refused_before_reading()
    {
        using var dir = new TempDir();
        var path = dir.File("huge.json");
        using (var f = File.Create(path))
        {
            f.SetLength(4L << 30);
        }
        // Reading the 4 GiB would go through a buffer per read; this thread allocates almost nothing when it refuses
        // from the length (the loader reads on the calling thread; other tests' threads are not counted).
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = RuleSetLoader.Load([path], new RuleLoadOptions { Load = new LoadOptions { MaxBytes = 1 << 20 } });
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
        Assert.False(result.Succeeded);
        Assert.Contains(result.Diagnostics, d => d.Code == DiagnosticCodes.FileTooLarge);
    }
}
