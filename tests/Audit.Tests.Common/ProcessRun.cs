using System.Diagnostics;
using Xunit;

namespace Audit.Tests.Common;

/// <summary>Runs a program to its end with captured output; one the test started and stops, if it overruns, with its children.</summary>
public static class ProcessRun
{
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    /// <summary>The dotnet executable running this test (DOTNET_HOST_PATH, set by the SDK), else the one on PATH.</summary>
    public static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static Result Run(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                psi.Environment.Remove(name);
            }
            else
            {
                psi.Environment[name] = value;
            }
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish in {timeout}\n--- stdout\n{stdout.Result}\n--- stderr\n{stderr.Result}");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
