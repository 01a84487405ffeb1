using Audit.Core;
using Audit.Pipeline;

namespace Audit.Cli;

/// <summary>What commands share: writers, environment, cancellation, diagnostics printing, paths as the user sees them.</summary>
internal sealed class CliContext(TextWriter stdout, TextWriter stderr, CliEnvironment env, CancellationToken cancel)
{
    public TextWriter Out { get; } = stdout;
    public TextWriter Err { get; } = stderr;
    public CliEnvironment Env { get; } = env;
    public CancellationToken Cancel { get; } = cancel;

    public void PrintDiagnostics(IEnumerable<Diagnostic> diagnostics)
    {
        var list = diagnostics.ToList();
        foreach (var d in list)
        {
            Err.WriteLine(Sanitize(d.ToString()));
        }
        var errors = list.Count(d => d.Level == DiagnosticLevel.Error);
        var warnings = list.Count - errors;
        if (errors > 0)
        {
            Err.WriteLine($"audit: {errors} error(s), {warnings} warning(s)");
        }
    }

    /// <summary>Neutralises control characters (terminal escape injection) and bidi overrides in text that may carry fact strings.</summary>
    public static string Sanitize(string text) => Audit.Reports.TextSanitizer.Display(text);

    /// <summary>A default input (<see cref="DefaultInputs"/>), or a usage error naming <paramref name="option"/> when there is none.</summary>
    internal string DefaultPath(string relative, string option) =>
        DefaultInputs.Find(relative, Env.CurrentDirectory)
        ?? throw new UsageException($"no {relative.Replace('\\', '/')} in '{Env.CurrentDirectory}', in an Audit checkout above it, or beside the executable ({AppContext.BaseDirectory}); pass {option}");

    /// <summary>The --rules paths given, resolved; or the default rules/ folder (<see cref="DefaultPath"/>).</summary>
    internal IReadOnlyList<string> RulePaths(IReadOnlyList<string> given) =>
        given.Count > 0 ? [.. given.Select(Env.Resolve)] : [DefaultPath(DefaultInputs.Rules, "--rules")];

    /// <summary>A full path as messages show it: relative to the current folder when inside it, with forward slashes.</summary>
    internal string Display(string path)
    {
        var rel = Path.GetRelativePath(Env.CurrentDirectory, path);
        return (rel.StartsWith("..", StringComparison.Ordinal) ? path : rel).Replace('\\', '/');
    }
}
