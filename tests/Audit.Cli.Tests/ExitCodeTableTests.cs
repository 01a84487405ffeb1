using System.Text.RegularExpressions;
using Audit.Core;
using Audit.Tests.Common;

namespace Audit.Cli.Tests;

/// <summary>The exit codes are written once (<see cref="ExitCodes.Table"/>); help is made from it, README is checked against it.</summary>
public sealed partial class ExitCodeTableTests
{
    [GeneratedRegex(@"^\| (?<codes>\d+(, \d+)*) \| ", RegexOptions.Multiline)]
    private static partial Regex ReadmeRow();

    [Fact]
    public void README_lists_exactly_the_exit_codes_of_the_table()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var start = readme.IndexOf("| code | meaning |", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no exit-code table");
        var end = readme.IndexOf("\n\n", start, StringComparison.Ordinal);
        var documented = ReadmeRow().Matches(readme[start..end])
            .SelectMany(m => m.Groups["codes"].Value.Split(", ").Select(int.Parse)).Order().ToList();
        var table = ExitCodes.Table.SelectMany(e => e.Codes).Order().ToList();
        Assert.Equal(table, documented);
    }

    [Fact]
    public void Every_exit_code_constant_is_in_the_table_once()
    {
        var constants = typeof(ExitCodes).GetFields().Where(f => f.IsLiteral).Select(f => (int)f.GetRawConstantValue()!).Order().ToList();
        Assert.Equal(constants, ExitCodes.Table.SelectMany(e => e.Codes).Order().ToList());
    }

    [Fact]
    public void Root_help_shows_every_code_of_the_table()
    {
        var r = CliRunner.Run("--help");
        foreach (var e in ExitCodes.Table)
        {
            Assert.Contains($"  {e.Codes[0],-3} {e.Help}", r.Out, StringComparison.Ordinal);
        }
    }
}
