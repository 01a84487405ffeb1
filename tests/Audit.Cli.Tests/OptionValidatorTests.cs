using Audit.Core;
using Audit.Tests.Common;

namespace Audit.Cli.Tests;

/// <summary>Options checked together are parse errors: exit 64, the message, the usage hint, and no file read or written.</summary>
public sealed class OptionValidatorTests
{
    [Theory]
    [InlineData("--port 0 must be between 1 and 65535", "collect", "--hosts-file", "missing.txt", "--port", "0")]
    [InlineData("--record and --replay cannot be combined: a replay only plays what was recorded", "collect", "--replay", "missing", "--record", "rec")]
    [InlineData("--snapshot and collection options (--hosts, --hosts-file, --local, --directory) exclude each other: 'run' either collects a snapshot or audits a given one", "run", "--snapshot", "s.json", "--hosts", "hv1")]
    [InlineData("--param 'a' is given twice", "run", "--param", "a=1", "--param", "a=2")]
    [InlineData("--history-wait 90000 must be between 0 and 86400 seconds", "evaluate", "--snapshot", "s.json", "--history-wait", "90000")]
    [InlineData("--hosts 0 must be between 1 and 100000", "generate", "--hosts", "0", "--vms-per-host", "1", "--out", "g.json")]
    public void An_inconsistent_command_line_is_a_parse_error_before_any_file_is_read(string message, params string[] args)
    {
        using var dir = new TempDir();
        var r = CliRunner.RunIn(dir.Path, args);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Equal($"audit: error: {message}{Environment.NewLine}Run 'audit --help' (or 'audit <command> --help') for usage.{Environment.NewLine}", r.Err);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Run_without_collection_ignores_the_collection_options_as_before()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("run", "--out", dir.Path, "--format", "json", "--quiet", "--parallel", "0");
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
    }
}
