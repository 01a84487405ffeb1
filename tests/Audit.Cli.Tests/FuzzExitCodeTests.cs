using System.Text.RegularExpressions;
using Audit.Core;
using Audit.Tests.Common;

namespace Audit.Cli.Tests;

/// <summary>Mutated snapshots through the CLI: exit 0 (accepted) or 65 with compiler-style positioned diagnostics, never an internal error.</summary>
public partial class FuzzExitCodeTests
{
    [GeneratedRegex(@"^fuzz\.json\([0-9]+,[0-9]+\): error AUD[0-9]{4}: ", RegexOptions.Multiline)]
    private static partial Regex Positioned();

    [Fact]
    public void Mutated_snapshots_exit_0_or_65_with_positioned_diagnostics()
    {
        var original = File.ReadAllBytes(RepoPaths.SampleSnapshot);
        using var dir = new TempDir();
        var refused = 0;
        var cases = 2 * JsonMutator.AllKinds.Count;
        for (var seed = 0; seed < cases; seed++)
        {
            var m = JsonMutator.Mutate(original, seed);
            File.WriteAllBytes(dir.File("fuzz.json"), m.Bytes);
            var r = CliRunner.RunIn(dir.Path, "validate", "--rules", RepoPaths.Rules, "--snapshot", "fuzz.json");
            Assert.True(r.ExitCode is ExitCodes.Compliant or ExitCodes.InvalidInput, $"{m}: exit {r.ExitCode}\n{r.Err}");
            Assert.DoesNotContain("internal error", r.Err, StringComparison.Ordinal);
            if (r.ExitCode == ExitCodes.InvalidInput)
            {
                refused++;
                var errors = r.Err.Split('\n').Where(l => l.Contains(": error ", StringComparison.Ordinal)).ToList();
                Assert.NotEmpty(errors);
                Assert.All(errors, l => Assert.Matches(Positioned(), l));
            }
        }
        Assert.True(refused > cases / 2, $"{refused} of {cases} refused");
    }
}
