using System.CommandLine;
using System.Reflection;
using Audit.Core;

namespace Audit.Cli;

/// <summary>
/// The version and commit the tool was built from: Directory.Build.props' Version, and the SourceRevisionId the SDK appends
/// to the informational version as "+COMMIT" (from git by Source Link, or -p:SourceRevisionId=...). A build without git
/// metadata (a source tarball, a copy without .git) has no commit: <see cref="Commit"/> is null, never a guess.
/// </summary>
internal sealed record ToolBuild(string Version, string? Commit)
{
    /// <summary>This executable's build.</summary>
    public static ToolBuild Current { get; } = Parse(
        typeof(ToolBuild).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    /// <summary>Splits an informational version "1.2.3+COMMIT" (or "1.2.3") into version and commit.</summary>
    public static ToolBuild Parse(string? informationalVersion)
    {
        if (string.IsNullOrWhiteSpace(informationalVersion))
        {
            return new ToolBuild("0.0.0", null);
        }
        var plus = informationalVersion.IndexOf('+', StringComparison.Ordinal);
        if (plus < 0)
        {
            return new ToolBuild(informationalVersion, null);
        }
        var commit = informationalVersion[(plus + 1)..].Trim();
        return new ToolBuild(informationalVersion[..plus], commit.Length > 0 ? commit : null);
    }

    /// <summary>What 'audit --version' prints.</summary>
    public string Display => $"audit {Version} (commit {Commit ?? "unknown: built without git metadata"})";
}

/// <summary>The action of --version: one line, "audit VERSION (commit COMMIT)".</summary>
internal sealed class PrintVersion(TextWriter stdout, ToolBuild build) : System.CommandLine.Invocation.SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        stdout.WriteLine(build.Display);
        return ExitCodes.Compliant;
    }
}
