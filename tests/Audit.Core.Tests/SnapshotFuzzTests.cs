using System.Diagnostics;
using Audit.Tests.Common;
using Xunit.Abstractions;
using Audit.Core.Snapshots;

namespace Audit.Core.Tests;

/// <summary>
/// Seeded mutations of the bundled sample snapshot through the strict loader: each one either loads or is refused with
/// diagnostics that carry a code, the file and a line and column; never an unhandled exception, never a hang.
/// AUDIT_FUZZ_CASES raises the number of cases; a failure names its seed (<see cref="JsonMutator.Mutate"/>).
/// </summary>
public class SnapshotFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Mutated_snapshots_load_or_are_refused_with_positioned_diagnostics()
    {
        var original = File.ReadAllBytes(RepoPaths.SampleSnapshot);
        var cases = FuzzCheck.CaseCount();
        var problems = new List<string>();
        var refused = 0;
        var byKind = new Dictionary<string, (int Cases, int Refused)>();
        var sw = Stopwatch.StartNew();
        for (var seed = 0; seed < cases; seed++)
        {
            var m = JsonMutator.Mutate(original, seed);
            problems.AddRange(FuzzCheck.Problems(m, "fuzz.json", bytes =>
            {
                try
                {
                    SnapshotLoader.Parse(bytes, "fuzz.json");
                    return [];
                }
                catch (InputException e)
                {
                    return e.Diagnostics.Count > 0 ? e.Diagnostics : [new Diagnostic("none", DiagnosticLevel.Error, "refused without a diagnostic")];
                }
            }, TimeSpan.FromSeconds(30), out var r));
            refused += r ? 1 : 0;
            var k = byKind.GetValueOrDefault(m.Kind);
            byKind[m.Kind] = (k.Cases + 1, k.Refused + (r ? 1 : 0));
        }
        output.WriteLine($"snapshot fuzz: {cases} cases in {sw.Elapsed.TotalSeconds:F1} s, {refused} refused with diagnostics, {cases - refused} loaded");
        foreach (var (kind, (n, rej)) in byKind.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {kind}: {n} cases, {rej} refused");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        // The mutations bite: most are refused, and every kind produced cases.
        Assert.True(refused > cases / 2, $"only {refused} of {cases} refused");
        Assert.Equal(JsonMutator.AllKinds.Count, byKind.Count);
    }

    [Fact]
    public void Same_seed_gives_the_same_mutation()
    {
        var original = File.ReadAllBytes(RepoPaths.SampleSnapshot);
        for (var seed = 0; seed < JsonMutator.AllKinds.Count * 2; seed++)
        {
            Assert.Equal(JsonMutator.Mutate(original, seed).Bytes, JsonMutator.Mutate(original, seed).Bytes);
        }
    }
}
