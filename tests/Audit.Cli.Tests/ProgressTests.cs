using System.Globalization;
using System.Text.Json;
using Audit.Core;
using Audit.Tests.Common;
using Audit.Core.Results;

namespace Audit.Cli.Tests;

/// <summary>Progress of run/evaluate: on standard error, only when it is a terminal and the work lasts; never in a pipe, never on standard output.</summary>
public class ProgressTests
{
    private static CliResult Run(CliEnvironment env, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = CliApp.Run(args, o, e, env);
        return new CliResult(code, o.ToString(), e.ToString());
    }

    private static CliEnvironment Env(string cwd, bool errorTerminal, TimeSpan after) => new()
    {
        CurrentDirectory = cwd,
        Clock = () => new DateTimeOffset(2026, 11, 24, 6, 0, 0, TimeSpan.Zero),
        Build = CliRunner.TestBuild,
        IsErrorTerminal = errorTerminal,
        ProgressAfter = after,
    };

    [Fact]
    public void On_a_terminal_progress_is_shown_on_standard_error_rewritten_in_place_and_erased()
    {
        using var dir = new TempDir();
        var piped = Run(Env(dir.Path, errorTerminal: false, TimeSpan.Zero), "evaluate", "--snapshot", RepoPaths.SampleSnapshot, "--rules", Path.Combine(RepoPaths.Root, "rules"));
        var terminal = Run(Env(dir.Path, errorTerminal: true, TimeSpan.Zero), "evaluate", "--snapshot", RepoPaths.SampleSnapshot, "--rules", Path.Combine(RepoPaths.Root, "rules"));

        Assert.Equal(piped.ExitCode, terminal.ExitCode);
        Assert.Equal(piped.Out, terminal.Out); // nothing extra on standard output
        var total = JsonSerializer.Deserialize<ResultsDocument>(File.ReadAllBytes(Path.Combine(dir.Path, "out", "results.json")), AuditJson.Options)!.Summary.Total;
        Assert.True(total > 0);
        Assert.StartsWith("\rloading the snapshot and rule sets", terminal.Err, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"\revaluating: {total:N0} / {total:N0} checks"), terminal.Err, StringComparison.Ordinal);
        Assert.Contains("\rwriting the reports", terminal.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", terminal.Err, StringComparison.Ordinal); // one line, rewritten
        Assert.EndsWith("\r", terminal.Err, StringComparison.Ordinal); // and erased: the cursor is back at the start of a blank line
        Assert.Equal("", terminal.Err.Split('\r')[^2].Trim());
    }

    [Fact]
    public void Progress_never_reaches_a_pipe()
    {
        using var dir = new TempDir();
        var r = Run(Env(dir.Path, errorTerminal: false, TimeSpan.Zero), "run", "--out", dir.Path);
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
        Assert.Equal("", r.Err);
        Assert.DoesNotContain("\r", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Quick_work_shows_no_progress_even_on_a_terminal()
    {
        using var dir = new TempDir();
        var r = Run(Env(dir.Path, errorTerminal: true, TimeSpan.FromHours(1)), "run", "--out", dir.Path);
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void Diagnostics_are_not_mixed_into_the_progress_line()
    {
        using var dir = new TempDir();
        var r = Run(Env(dir.Path, errorTerminal: true, TimeSpan.Zero), "evaluate", "--snapshot", "missing.json", "--rules", Path.Combine(RepoPaths.Root, "rules"));
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        // The loading line is erased before the diagnostic is printed, which starts on a clean line.
        var erased = r.Err.LastIndexOf('\r');
        Assert.True(erased >= 0, r.Err);
        Assert.StartsWith("missing.json: error AUD0001", r.Err[(erased + 1)..], StringComparison.Ordinal);
    }

    /// <summary>The console output of 'audit run' on the bundled sample, as a user sees it (a pipe: no progress, no colour).</summary>
    [Fact]
    public void Run_on_the_bundled_sample_prints_the_approved_console_output()
    {
        using var dir = new TempDir();
        var r = Run(Env(dir.Path, errorTerminal: false, TimeSpan.Zero), "run");
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
        Assert.Equal("", r.Err);
        Approvals.Verify("Audit.Cli.Tests", "run-sample.console.txt", r.Out);
    }
}
