using System.CommandLine;

namespace Audit.Cli;

/// <summary>The subcommands of `audit`, in the order help lists them.</summary>
internal static class Commands
{
    public static IEnumerable<Command> All(CliContext ctx)
    {
        yield return RunCommand.Create(ctx, "run", snapshotRequired: false,
            "Audit an estate: load the rule set and a snapshot (default: the bundled sample), evaluate, write reports and print a summary.");
        yield return RunCommand.Create(ctx, "evaluate", snapshotRequired: true,
            "Evaluate a given snapshot (collected earlier, anywhere) against the rule set and write reports.");
        yield return RuleCommands.Validate(ctx);
        yield return RuleCommands.Rules(ctx);
        yield return TestCommand.Create(ctx);
        yield return ResultsCommands.Report(ctx);
        yield return ResultsCommands.Diff(ctx);
        foreach (var c in CollectCommands.All(ctx))
        {
            yield return c;
        }
        yield return GenerateCommand.Create(ctx);
    }
}
