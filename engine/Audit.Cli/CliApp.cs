using System.CommandLine;
using Audit.Core;

namespace Audit.Cli;

/// <summary>The `audit` command tree. Each command is a thin layer over the libraries; everything is testable in-process.</summary>
public static class CliApp
{
    public const string ExitCodeHelp = """
        Exit codes:
          0   compliant: no failing check at or above --fail-on, no error
          1   at least one failing check at or above --fail-on severity
          2   no such failure, but at least one check could not be evaluated (audit incomplete)
          64  usage error (bad option, unwritable output folder)
          65  invalid input file (JSON, schema or rule expression errors, printed as file(line,col): error AUDnnnn: message)
          69  live collection is not available on this platform (CIM needs Windows)
          70  internal error (a bug: please report it)
          74  an output could not be written (disk full, read-only, permission, history folder): the previous outputs stay
          Waived checks never count. With --fail-on-new, 1 and 2 count only failures and errors new since the baseline.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CliEnvironment? env = null, CancellationToken cancel = default)
    {
        env ??= new CliEnvironment();
        var context = new CliContext(stdout, stderr, env, cancel);
        var root = new RootCommand($"""
            audit: compliance audit of Windows Server / Hyper-V estates.
            Collect host and directory facts into a snapshot, evaluate a declarative rule set against it, and write
            an HTML report (auditors), JUnit XML (CI gates), results.json (history, re-rendering) and a console summary.
            Run 'audit run' with no arguments to audit the bundled sample estate.

            {ExitCodeHelp}
            """);
        foreach (var command in Commands.All(context))
        {
            root.Subcommands.Add(command);
        }

        ParseResult parsed;
        try
        {
            parsed = root.Parse(args);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            stderr.WriteLine($"audit: error: {e.Message}");
            return ExitCodes.Usage;
        }
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                stderr.WriteLine($"audit: error: {error.Message}");
            }
            stderr.WriteLine("Run 'audit --help' (or 'audit <command> --help') for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"audit: error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (InputException e)
        {
            context.PrintDiagnostics(e.Diagnostics);
            return ExitCodes.InvalidInput;
        }
        catch (OutputException e)
        {
            stderr.WriteLine($"audit: error {DiagnosticCodes.CannotWrite}: {CliContext.Sanitize(e.Message)}");
            return ExitCodes.CannotWrite;
        }
        catch (HistoryUnwritableException e)
        {
            stderr.WriteLine($"audit: error {DiagnosticCodes.CannotWrite}: {CliContext.Sanitize(e.Message)}");
            return ExitCodes.CannotWrite;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("audit: cancelled");
            return ExitCodes.Incomplete;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            stderr.WriteLine($"audit: internal error: {e.GetType().Name}: {e.Message}");
            if (env.GetVariable("AUDIT_DEBUG") == "1")
            {
                stderr.WriteLine(e.ToString());
            }
            else
            {
                stderr.WriteLine("Set AUDIT_DEBUG=1 for details, and please report it.");
            }
            return ExitCodes.InternalError;
        }
    }
}

/// <summary>What commands share: writers, environment, cancellation, diagnostics printing.</summary>
public sealed class CliContext(TextWriter stdout, TextWriter stderr, CliEnvironment env, CancellationToken cancel)
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
}
