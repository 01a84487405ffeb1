using System.CommandLine;
using Audit.Core;
using Audit.Rules.Testing;
using Audit.Rules.Compilation;

namespace Audit.Cli;

/// <summary>`audit test`: runs the rule cases kept beside the rules and prints a per-rule table.</summary>
internal static class TestCommand
{
    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("test", """
            Run rule cases: scenarios kept beside the rules as *.cases.json, each an edit of a base snapshot (default: the bundled sample) and the outcome expected for one entity. Prints one line per rule (cases, passed, failed) and each mismatch with the verdict the rule gave. Exit 0 when every case holds, 1 when one does not, 65 when a case cannot be run as written (AUD0060 with its file, line and rule) or a file is invalid.
            """);
        var rules = SharedOptions.Rules();
        var only = new Option<string[]>("--rule") { Description = "Run only the cases of this rule id; repeatable.", HelpName = "ID" };
        var cases = new Argument<string[]>("CASES") { Description = "Cases files or folders. [default: the *.cases.json beside the rule sets]", Arity = ArgumentArity.ZeroOrMore };
        cmd.Options.Add(rules);
        cmd.Options.Add(only);
        cmd.Arguments.Add(cases);
        cmd.SetAction(r => Run(ctx, r.GetValue(rules) ?? [], r.GetValue(only) ?? [], r.GetValue(cases) ?? []));
        return cmd;
    }

    private static int Run(CliContext ctx, string[] rules, string[] only, string[] casePaths)
    {
        var rulePaths = ctx.RulePaths(rules);
        var loaded = RuleSetLoader.Load(rulePaths, new RuleLoadOptions { Display = ctx.Display });
        ctx.PrintDiagnostics(loaded.Diagnostics);
        if (loaded.Catalog is null)
        {
            return ExitCodes.InvalidInput;
        }

        var bag = new DiagnosticBag();
        var files = RuleCasesLoader.Find(casePaths.Length > 0 ? casePaths.Select(ctx.Env.Resolve) : rulePaths.Select(BesideRules), bag);
        var all = RuleCasesLoader.Load(files, bag);
        if (bag.HasErrors)
        {
            ctx.PrintDiagnostics(bag.Sorted());
            return ExitCodes.InvalidInput;
        }
        var selected = all.Where(c => only.Length == 0 || only.Contains(c.Case.Rule, StringComparer.Ordinal)).ToList();
        if (selected.Count == 0)
        {
            ctx.Err.WriteLine(only.Length == 0 ? "audit: no rule cases found (*.cases.json beside the rule sets, or given as CASES)" : "audit: no rule cases for " + CliContext.Sanitize(string.Join(", ", only)));
            return ExitCodes.InvalidInput;
        }

        var report = new RuleCaseRunner(rulePaths, loaded.Catalog).Run(selected, ctx.Cancel);
        Print(ctx, report);
        ctx.PrintDiagnostics(report.Diagnostics);
        return report.Invalid > 0 ? ExitCodes.InvalidInput : report.Failed > 0 ? ExitCodes.Failed : ExitCodes.Compliant;
    }

    /// <summary>The cases of a rule set: a folder holds them beside the sets; a file X.json has X.cases.json.</summary>
    private static string BesideRules(string path) =>
        Directory.Exists(path) || !path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? path : path[..^".json".Length] + RuleCasesLoader.Suffix;

    private static void Print(CliContext ctx, RuleCaseReport report)
    {
        var rows = report.ByRule;
        var width = Math.Max("RULE".Length, rows.Max(r => CliContext.Sanitize(r.Rule).Length));
        ctx.Out.WriteLine($"{"RULE".PadRight(width)}  CASES  PASSED  FAILED  INVALID");
        foreach (var (rule, cases, passed, failed, invalid) in rows)
        {
            ctx.Out.WriteLine($"{CliContext.Sanitize(rule).PadRight(width)}  {cases,5}  {passed,6}  {failed,6}  {invalid,7}");
        }
        foreach (var r in report.Results.Where(r => r.Status == RuleCaseStatus.Failed))
        {
            var c = r.Case;
            ctx.Out.WriteLine();
            ctx.Out.WriteLine(CliContext.Sanitize($"FAILED {ctx.Display(c.File)}({c.Line},{c.Column}) {c.Case.Rule}: {c.Case.Name}"));
            ctx.Out.WriteLine(CliContext.Sanitize($"  {c.Case.Entity}: {r.Problem}"));
            if (r.Message is not null)
            {
                ctx.Out.WriteLine(CliContext.Sanitize($"  message: {r.Message}"));
            }
        }
        ctx.Out.WriteLine();
        ctx.Out.WriteLine($"{report.Results.Count} cases: {report.Passed} passed, {report.Failed} failed, {report.Invalid} invalid");
    }
}
