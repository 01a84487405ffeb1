using Audit.Core;
using Audit.Tests.Common;

namespace Audit.Cli.Tests;

public class GenerateCommandTests
{
    [Fact]
    public void Generate_writes_a_valid_reproducible_snapshot_that_evaluates()
    {
        using var dir = new TempDir();
        var a = CliRunner.RunIn(dir.Path, "generate", "--hosts", "20", "--vms-per-host", "5", "--seed", "4", "--violation-rate", "0.2", "--out", "a.json");
        Assert.True(a.ExitCode == 0, a.Err);
        Assert.Contains("22 hosts, 100 VMs", a.Out, StringComparison.Ordinal);
        var b = CliRunner.RunIn(dir.Path, "generate", "--hosts", "20", "--vms-per-host", "5", "--seed", "4", "--violation-rate", "0.2", "--out", "b.json");
        Assert.Equal(0, b.ExitCode);
        Assert.Equal(Hashing.Sha256(File.ReadAllBytes(dir.File("a.json"))), Hashing.Sha256(File.ReadAllBytes(dir.File("b.json"))));

        var validate = CliRunner.Run("validate", "--snapshot", dir.File("a.json"));
        Assert.True(validate.ExitCode == 0, validate.Err);
        var run = CliRunner.Run("evaluate", "--snapshot", dir.File("a.json"), "--out", dir.File("out"), "--format", "json", "--quiet");
        Assert.True(run.ExitCode == ExitCodes.Failed, run.Out + run.Err);
        Assert.Contains(" 0 errors", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--hosts", "0")]
    [InlineData("--violation-rate", "2")]
    [InlineData("--error-rate", "-1")]
    public void Generate_refuses_bad_options(string option, string value)
    {
        using var dir = new TempDir();
        var args = new List<string> { "generate", "--hosts", "5", "--vms-per-host", "1", "--out", "x.json" };
        var i = args.IndexOf(option);
        if (i >= 0)
        {
            args[i + 1] = value;
        }
        else
        {
            args.AddRange([option, value]);
        }
        var r = CliRunner.RunIn(dir.Path, [.. args]);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains(option, r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("x.json")));
    }
}
