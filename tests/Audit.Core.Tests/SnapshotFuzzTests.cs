using System.Diagnostics;
using System.Text;
using Audit.Tests.Common;
using Xunit.Abstractions;

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

    [Fact]
    public void A_file_over_the_limit_is_refused_without_being_read()
    {
        using var dir = new TempDir();
        var path = dir.File("huge.json");
        using (var f = File.Create(path))
        {
            f.SetLength(8L << 30); // sparse: 8 GiB that reading would have to go through
        }
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<InputException>(() => SnapshotLoader.Load(path, new LoadOptions { MaxBytes = 1 << 20 }));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed}");
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 1 << 20);
        Assert.Equal(DiagnosticCodes.FileTooLarge, e.Diagnostics[0].Code);
        Assert.Contains("over the limit", e.Diagnostics[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name")]
    [InlineData("bogus")]
    public void A_100_MB_string_neither_exhausts_memory_nor_crashes(string property)
    {
        var text = File.ReadAllText(RepoPaths.SampleSnapshot);
        var huge = new string('x', 100 * 1024 * 1024);
        var doc = text.Replace("\"name\": \"ZULU\"", $"\"{property}\": \"{huge}\"" + (property == "name" ? "" : ", \"name\": \"ZULU\""), StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(doc);
        doc = null;
        huge = null;
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        try
        {
            var loaded = SnapshotLoader.Parse(bytes, "big-string.json");
            Assert.Equal("name", property);
            Assert.Equal(100 * 1024 * 1024, loaded.Value.Hosts[0].Name.Length);
        }
        catch (InputException e)
        {
            Assert.Equal("bogus", property);
            var d = Assert.Single(e.Diagnostics);
            Assert.Contains("unknown property 'bogus'", d.Message, StringComparison.Ordinal);
            Assert.True(d.Line > 1);
        }
        // A handful of copies of the 100 MB value at most, not a blow-up.
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 2_500L * 1024 * 1024, $"allocated {allocated / 1048576} MiB");
    }
}
