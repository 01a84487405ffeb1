using System.Diagnostics;
using Audit.Tests.Common;

namespace Audit.Cli.Tests;

/// <summary>The built executable as a real process: what a scheduler or CI job runs.</summary>
public class ProcessTests
{
    [Fact]
    public async Task Audit_runs_as_a_process_and_returns_the_documented_exit_code()
    {
        using var dir = new TempDir();
        var dll = Path.Combine(AppContext.BaseDirectory, "audit.dll");
        Assert.True(File.Exists(dll), dll);
        var psi = new ProcessStartInfo("dotnet", ["exec", dll, "run", "--out", dir.Path])
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(timeout.Token);
        Assert.Equal(1, p.ExitCode);
        Assert.StartsWith("AUDIT NONCOMPLIANT", await stdout, StringComparison.Ordinal);
        Assert.Equal("", await stderr);
        Assert.True(File.Exists(Path.Combine(dir.Path, "results.json")));
    }
}
