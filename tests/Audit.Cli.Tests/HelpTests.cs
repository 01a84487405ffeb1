using System.CommandLine;
using System.Text.RegularExpressions;
using Audit.Core;
using Audit.Tests.Common;

namespace Audit.Cli.Tests;

public partial class HelpTests
{
    [Theory]
    [InlineData("help-root.txt", new[] { "--help" })]
    [InlineData("help-run.txt", new[] { "run", "--help" })]
    [InlineData("help-evaluate.txt", new[] { "evaluate", "--help" })]
    [InlineData("help-collect.txt", new[] { "collect", "--help" })]
    public void Help_matches_the_approved_text(string approved, string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(ExitCodes.Compliant, r.ExitCode);
        Assert.Equal("", r.Err);
        Approvals.Verify("Audit.Cli.Tests", approved, r.Out);
    }

    [Fact]
    public void Help_is_wrapped_at_the_given_width()
    {
        var o = new StringWriter();
        var code = CliApp.Run(["run", "--help"], o, new StringWriter(), new CliEnvironment { CurrentDirectory = RepoPaths.Root, HelpWidth = 60 });
        Assert.Equal(ExitCodes.Compliant, code);
        Assert.All(o.ToString().Split('\n'), line => Assert.True(line.TrimEnd().Length <= 60, line));
        // Wrapped description lines stay in their option's group.
        Assert.Matches(new Regex(@"Output options:\n  --out <DIR> [^\n]*\n( {10,}[^\n]*\n)*  --format <LIST>"), o.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_help_lists_every_option_once_in_titled_groups()
    {
        var r = CliRunner.Run("run", "--help");
        var optionLines = r.Out.Split('\n').Where(l => l.StartsWith("  -", StringComparison.Ordinal)).ToList();
        var root = CliApp.BuildRoot(new CliContext(TextWriter.Null, TextWriter.Null, new CliEnvironment(), default));
        var run = root.Subcommands.Single(c => c.Name == "run");
        Assert.Equal(run.Options.Count + 1, optionLines.Count); // + the root's --help
        Assert.Equal(optionLines.Count, optionLines.Distinct(StringComparer.Ordinal).Count());
        foreach (var title in new[] { "Input options:", "Output options:", "Host connection options:", "Directory (LDAP) options:", "Other options:" })
        {
            Assert.Contains("\n" + title + "\n", r.Out.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        }
        Assert.DoesNotContain("\nOptions:", r.Out, StringComparison.Ordinal);
    }

    /// <summary>Every command's options: a default is printed once (by the library when it has a default value, else as "[default: ...]" in the description), placeholders are upper case.</summary>
    [Fact]
    public void Every_default_is_shown_once_and_every_placeholder_is_upper_case()
    {
        var root = CliApp.BuildRoot(new CliContext(TextWriter.Null, TextWriter.Null, new CliEnvironment(), default));
        var commands = new List<Command>();
        void Walk(Command c)
        {
            commands.Add(c);
            foreach (var s in c.Subcommands)
            {
                Walk(s);
            }
        }
        Walk(root);
        var problems = new List<string>();
        foreach (var option in commands.SelectMany(c => c.Options.Select(o => (Command: c, Option: o))))
        {
            var (c, o) = option;
            var where = $"{c.Name} {o.Name}";
            var description = o.Description ?? "";
            if (HandWrittenDefault().IsMatch(description))
            {
                problems.Add($"{where}: default in prose: {description}");
            }
            if (o.HasDefaultValue && description.Contains("[default:", StringComparison.Ordinal))
            {
                problems.Add($"{where}: default written by hand and by the library");
            }
            var takesValue = o.Arity.MaximumNumberOfValues > 0 && o.ValueType != typeof(bool);
            if (takesValue && (o.HelpName is null || !UpperPlaceholder().IsMatch(o.HelpName)))
            {
                problems.Add($"{where}: placeholder '{o.HelpName}'");
            }
        }
        Assert.Empty(problems);
    }

    [Theory]
    [InlineData(new[] { "run", "--fial-on", "high" }, "'--fial-on'. Did you mean '--fail-on'?")]
    [InlineData(new[] { "evalute", "--snapshot", "x.json" }, "'evalute'. Did you mean 'evaluate'?")]
    [InlineData(new[] { "evaluate", "--snapshot", "x.json", "--ouut=dir" }, "'--ouut=dir'. Did you mean '--out'?")]
    [InlineData(new[] { "collect", "--Hosts", "a" }, "'--Hosts'. Did you mean '--hosts'?")]
    [InlineData(new[] { "snapshot", "mrege" }, "'mrege'. Did you mean 'merge'?")]
    public void A_mistyped_option_or_command_gets_the_nearest_name_and_exit_64(string[] args, string expected)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("audit: error: Unrecognized command or argument " + expected, r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
    }

    [Theory]
    [InlineData("run", "--frobnicate")] // nothing near
    [InlineData("run", "high")]          // a stray value: not an option, and run has no subcommands
    [InlineData("", "xyz")]              // no command near
    public void No_suggestion_when_nothing_is_near(string command, string token)
    {
        var r = CliRunner.Run(command.Length > 0 ? [command, token] : [token]);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains($"Unrecognized command or argument '{token}'.", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Did you mean", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mistyped_secret_option_is_still_redacted()
    {
        var r = CliRunner.Run("collect", "--passwrd-env=hunter2");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.DoesNotContain("hunter2", r.Err, StringComparison.Ordinal);
        Assert.Contains("Did you mean '--password-env'?", r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--pasword-env=hunter2")]
    [InlineData("--pswd", "hunter2")]
    [InlineData("--secrte=hunter2")]
    [InlineData("--tokn", "hunter2")]
    [InlineData("--credentails=hunter2")]
    public void Misspelt_secret_options_are_redacted_too(params string[] args)
    {
        var r = CliRunner.Run(["collect", .. args]);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.DoesNotContain("hunter2", r.Out + r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--fial-on", "--fail-on", 1)]
    [InlineData("evalute", "evaluate", 1)]
    [InlineData("abc", "abc", 0)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("ca", "abc", 3)] // optimal string alignment, not unrestricted Damerau
    public void Distance_counts_edits_with_adjacent_transpositions_as_one(string a, string b, int expected) =>
        Assert.Equal(expected, Suggestions.Distance(a, b));

    [GeneratedRegex(@"\(default|; default|\bDefault [a-z0-9]", RegexOptions.CultureInvariant)]
    private static partial Regex HandWrittenDefault();

    [GeneratedRegex(@"^[A-Z][A-Z0-9_]*(=[A-Z][A-Z0-9_]*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex UpperPlaceholder();
}
