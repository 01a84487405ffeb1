using System.CommandLine;
using System.Text.RegularExpressions;

namespace Audit.Cli.Tests;

/// <summary>
/// The audit command lines written in the recipes under samples/ (CI files, systemd units, the nightly wrapper), and a
/// check of their options against the CLI's own command tree, so a recipe cannot name an option audit does not have.
/// </summary>
internal static partial class RecipeCommands
{
    public sealed record Invocation(string Command, IReadOnlyList<string> Options, string Line);

    /// <summary>audit invocations, one per logical line (shell '\' and PowerShell '`' line continuations joined).</summary>
    public static IReadOnlyList<Invocation> Find(string text)
    {
        var joined = Continuation().Replace(text.Replace("\r\n", "\n", StringComparison.Ordinal), " ");
        return [.. AuditCall().Matches(joined).Select(m => new Invocation(
            WhiteSpace().Replace(m.Groups["cmd"].Value, " "),
            [.. OptionToken().Matches(m.Groups["rest"].Value).Select(o => o.Value)],
            m.Value.Trim()))];
    }

    /// <summary>The options of <paramref name="command"/> ("run", "snapshot merge") that audit does not know.</summary>
    public static IReadOnlyList<string> Unknown(string command, IEnumerable<string> options)
    {
        var root = CliApp.BuildRoot(new CliContext(TextWriter.Null, TextWriter.Null, new CliEnvironment(), CancellationToken.None));
        Command cmd = root;
        foreach (var part in command.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            cmd = cmd.Subcommands.Single(c => c.Name == part);
        }
        var known = cmd.Options.Concat(root.Options.Where(o => o.Recursive)).SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet(StringComparer.Ordinal);
        return [.. options.Where(o => !known.Contains(o)).Distinct()];
    }

    /// <summary>Every option of every audit invocation in <paramref name="text"/> exists; returns the invocations found.</summary>
    public static IReadOnlyList<Invocation> AssertKnown(string file, string text)
    {
        var found = Find(text);
        foreach (var call in found)
        {
            var unknown = Unknown(call.Command, call.Options);
            Assert.True(unknown.Count == 0, $"{file}: 'audit {call.Command}' has no option {string.Join(", ", unknown)}: {call.Line}");
        }
        return found;
    }

    [GeneratedRegex(@"[\\`]\n")]
    private static partial Regex Continuation();

    [GeneratedRegex(@"(?<![\w.-])audit(?:\.exe)?[ \t]+(?<cmd>snapshot[ \t]+merge|run|evaluate|collect|validate|diff|report|test|rules|generate)(?![\w-])(?<rest>[^\n]*)")]
    private static partial Regex AuditCall();

    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z0-9-]*")]
    private static partial Regex OptionToken();

    [GeneratedRegex(@"[ \t]+")]
    private static partial Regex WhiteSpace();
}
