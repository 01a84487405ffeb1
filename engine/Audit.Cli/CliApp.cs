using System.CommandLine;
using System.CommandLine.Help;
using Audit.Core;
using Audit.Core.History;

namespace Audit.Cli;

/// <summary>The `audit` command tree. Each command is a thin layer over the libraries; everything is testable in-process.</summary>
internal static class CliApp
{
    /// <summary>The exit-code section of the root help, from <see cref="ExitCodes.Table"/>.</summary>
    public static readonly string ExitCodeHelp = string.Join("\n",
        ExitCodes.Table.Select(e => $"  {e.Codes[0],-3} {e.Help}")
            .Prepend("Exit codes:")
            .Append("  Waived checks never count. With --fail-on-new, 1 and 2 count only failures and errors new since the baseline."));

    /// <summary>"0 compliant, 1 ..., 69 ...": the one-line summary of <paramref name="codes"/> in <see cref="ExitCodes.Table"/> order.</summary>
    public static string ExitCodeSummary(params int[] codes) =>
        string.Join(", ", ExitCodes.Table.Where(e => codes.Contains(e.Codes[0])).Select(e => $"{e.Codes[0]} {e.Name}"));

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CliEnvironment? env = null, CancellationToken cancel = default)
    {
        env ??= new CliEnvironment();
        var context = new CliContext(stdout, stderr, env, cancel);
        var root = BuildRoot(context);

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
            var secrets = CommandLineSecrets.In(args);
            var unmatched = parsed.UnmatchedTokens;
            foreach (var error in parsed.Errors)
            {
                // "Unrecognized command or argument 'X'.": the nearest option or command name, if one is close.
                var hint = unmatched.FirstOrDefault(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)) is { } token
                    && Suggestions.For(parsed.CommandResult.Command, token) is { } suggestion
                    ? $" Did you mean '{suggestion}'?"
                    : "";
                stderr.WriteLine($"audit: error: {CliContext.Sanitize(CommandLineSecrets.Redact(error.Message, secrets))}{hint}");
            }
            stderr.WriteLine("Run 'audit --help' (or 'audit <command> --help') for usage.");
            return ExitCodes.Usage;
        }
        if (parsed.Action is HelpAction help)
        {
            return WriteHelp(parsed, help, stdout, stderr, env.HelpWidth);
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is UsageException or Audit.Pipeline.AuditRequestException or Audit.Collectors.Estate.CollectRequestException)
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
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            stderr.WriteLine("audit: stopped: previous outputs left as they were");
            return ExitCodes.Interrupted;
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

    /// <summary>The library's help, wrapped at <paramref name="width"/>, with the options of the commands that have many in titled groups.</summary>
    private static int WriteHelp(ParseResult parsed, HelpAction help, TextWriter stdout, TextWriter stderr, int width)
    {
        help.MaxWidth = width;
        using var text = new StringWriter();
        var code = parsed.Invoke(new InvocationConfiguration { Output = text, Error = stderr, EnableDefaultExceptionHandler = false });
        var written = HelpLayout.Regroup(parsed.CommandResult.Command, HelpLayout.NameTool(text.ToString(), parsed.RootCommandResult.Command.Name));
        // The library leaves a space at the end of wrapped lines.
        stdout.Write(string.Join(Environment.NewLine, written.Split(Environment.NewLine).Select(l => l.TrimEnd())));
        return code;
    }

    /// <summary>The command tree with its actions bound to <paramref name="context"/>.</summary>
    internal static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand($"""
            audit: compliance audit of Windows Server / Hyper-V estates.
            Collect host and directory facts into a snapshot, evaluate a declarative rule set against it, and write an HTML report (auditors), JUnit XML (CI gates), results.json (history, re-rendering) and a console summary.
            Run 'audit run' with no arguments to audit the bundled sample estate.

            {ExitCodeHelp}
            """);
        foreach (var command in Commands.All(context))
        {
            root.Subcommands.Add(command);
        }
        // --version names the build (version and commit) of this tool, not of the process's entry assembly.
        foreach (var version in root.Options.OfType<VersionOption>())
        {
            version.Action = new PrintVersion(context.Out, context.Env.Build);
        }
        return root;
    }
}
