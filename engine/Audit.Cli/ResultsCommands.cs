using System.CommandLine;
using Audit.Core;
using Audit.Core.Loading;
using Audit.Pipeline;
using Audit.Reports;

namespace Audit.Cli;

/// <summary>`audit report` (re-render a results.json) and `audit diff` (what changed between two).</summary>
internal static class ResultsCommands
{
    public static Command Report(CliContext ctx)
    {
        var cmd = new Command("report", "Re-render reports from a results.json written earlier (same HTML, JUnit and console output as the run that wrote it). Exit 0 once written, 65 if the results file is invalid.");
        var results = new Option<string>("--results") { Description = "results.json of an earlier run.", HelpName = "FILE", Required = true };
        var format = SharedOptions.Formats();
        var output = new Option<string>("--out") { Description = "Output folder.", HelpName = "DIR", DefaultValueFactory = _ => "out" };
        var template = SharedOptions.Template();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the one-line verdict." };
        var maxInput = SharedOptions.MaxInputMb();
        foreach (var o in new Option[] { results, format, output, template, quiet, maxInput })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r => new AuditRunner(ctx).Report(r.GetValue(results)!, SharedOptions.FormatsOf(r, format), r.GetValue(output) ?? "out", r.GetValue(template), r.GetValue(quiet), SharedOptions.MaxInputBytesOf(r, maxInput)));
        return cmd;
    }

    public static Command Diff(CliContext ctx)
    {
        var cmd = new Command("diff", "Print what changed between two results.json files: new failures first, then failures whose waiver expired, newly waived, resolved, still failing, hosts/VMs/rules added or removed. Exit 0 when both files are readable (65 otherwise), whatever changed.");
        var older = new Argument<string>("OLD") { Description = "The earlier results.json (the baseline)." };
        var newer = new Argument<string>("NEW") { Description = "The later results.json." };
        cmd.Arguments.Add(older);
        cmd.Arguments.Add(newer);
        var maxInput = SharedOptions.MaxInputMb();
        cmd.Options.Add(maxInput);
        cmd.SetAction(r =>
        {
            var (o, n) = (ctx.Env.Resolve(r.GetValue(older)!), ctx.Env.Resolve(r.GetValue(newer)!));
            var compared = AuditPipeline.Compare(o, n, new LoadOptions { MaxBytes = SharedOptions.MaxInputBytesOf(r, maxInput) }, ctx.Display);
            if (compared.Drift is null)
            {
                ctx.PrintDiagnostics(compared.Diagnostics);
                return ExitCodes.InvalidInput;
            }
            DriftTextWriter.Write(ctx.Out, compared.Drift, brief: false);
            return ExitCodes.Compliant;
        });
        return cmd;
    }
}
