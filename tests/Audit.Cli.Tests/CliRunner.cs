using Audit.Tests.Common;

namespace Audit.Cli.Tests;

internal sealed record CliResult(int ExitCode, string Out, string Err);

/// <summary>Runs the CLI in-process with captured output, from the repository root unless told otherwise.</summary>
internal static class CliRunner
{
    /// <summary>The build the in-process CLI reports: fixed, so what the tests write does not change with each commit.</summary>
    public static readonly ToolBuild TestBuild = new("0.0.0-test", null);

    public static CliResult Run(params string[] args) => RunIn(RepoPaths.Root, args);

    public static CliResult RunIn(string cwd, params string[] args) => RunAs(TestBuild, cwd, args);

    public static CliResult RunAs(ToolBuild build, string cwd, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var env = new CliEnvironment
        {
            CurrentDirectory = cwd,
            Clock = () => new DateTimeOffset(2026, 11, 24, 6, 0, 0, TimeSpan.Zero),
            GetVariable = _ => null,
            Build = build,
        };
        var code = CliApp.Run(args, o, e, env);
        return new CliResult(code, o.ToString(), e.ToString());
    }
}
