using System.CommandLine;
using Audit.Core;
using Audit.Pipeline;
using Audit.Rules.Compilation;
using Audit.Rules.Documentation;

namespace Audit.Cli;

/// <summary>`audit validate` (check inputs without evaluating) and `audit rules` (list the rules, or write their pages).</summary>
internal static class RuleCommands
{
    public static Command Validate(CliContext ctx)
    {
        var cmd = new Command("validate", "Check rule sets (schema, every expression, allow-list) and snapshots (schema) without evaluating anything. Exit 0 when clean, 65 with file(line,col) diagnostics otherwise.");
        var rules = SharedOptions.Rules();
        var snapshots = new Option<string[]>("--snapshot") { Description = "Snapshot file to validate; repeatable.", HelpName = "FILE" };
        var param = SharedOptions.Params("Parameter override to check: name=value; repeatable.");
        var waivers = new Option<string?>("--waivers") { Description = "Waivers file to check against the rule sets (dates, patterns, rule ids).", HelpName = "FILE" };
        var paramsFile = new Option<string?>("--params") { Description = "Parameter values file to check against the declared types.", HelpName = "FILE" };
        foreach (var o in new Option[] { rules, snapshots, param, waivers, paramsFile })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r =>
        {
            string? Optional(string? path) => path is null ? null : ctx.Env.Resolve(path);
            var given = r.GetValue(snapshots) ?? [];
            var check = AuditPipeline.Validate(new ValidationRequest
            {
                RulePaths = ctx.RulePaths(r.GetValue(rules) ?? []),
                ParameterOverrides = SharedOptions.ParamsOf(r, param),
                ParametersFile = Optional(r.GetValue(paramsFile)),
                WaiversFile = Optional(r.GetValue(waivers)),
                Snapshots = [.. given.Select(p => (ctx.Env.Resolve(p), p))],
                Display = ctx.Display,
            });
            ctx.PrintDiagnostics(check.Diagnostics);
            if (check.Catalog is null)
            {
                return ExitCodes.InvalidInput;
            }
            ctx.Out.WriteLine($"OK: {check.Catalog.RuleSets.Count} rule set(s), {check.Catalog.Rules.Count} rule(s) compiled{(given.Length > 0 ? $", {given.Length} snapshot(s) valid" : "")}.");
            return ExitCodes.Compliant;
        });
        return cmd;
    }

    public static Command Rules(CliContext ctx)
    {
        var cmd = new Command("rules", "List the rules (id, severity, scope, title), or write the catalogue as Markdown, one page per rule, with --docs.");
        var rules = SharedOptions.Rules();
        var docs = new Option<string?>("--docs") { Description = "Write one Markdown page per rule (rationale, applicability, check, evidence, remediation, references) and an index into this folder.", HelpName = "DIR" };
        cmd.Options.Add(rules);
        cmd.Options.Add(docs);
        cmd.SetAction(r => List(ctx, r.GetValue(rules) ?? [], r.GetValue(docs)));
        return cmd;
    }

    private static int List(CliContext ctx, IReadOnlyList<string> rules, string? docs)
    {
        var result = RuleSetLoader.Load(ctx.RulePaths(rules), new RuleLoadOptions { Display = ctx.Display });
        ctx.PrintDiagnostics(result.Diagnostics);
        if (result.Catalog is null)
        {
            return ExitCodes.InvalidInput;
        }
        if (docs is not null)
        {
            var dir = ctx.Env.Resolve(docs);
            try
            {
                AtomicFile.EnsureWritableDirectory(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot write to docs folder '{docs}': {e.Message}");
            }
            var written = RuleDocsWriter.Write(result.Catalog, dir);
            ctx.Out.WriteLine($"Wrote {written.Count} pages to {docs}");
            return ExitCodes.Compliant;
        }
        var list = result.Catalog.Rules.OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
        var idWidth = list.Max(r => r.Id.Length);
        foreach (var r in list)
        {
            // Rule files are hostile input like facts: no terminal escape reaches the screen.
            ctx.Out.WriteLine(CliContext.Sanitize($"{r.Id.PadRight(idWidth)}  {r.Severity.Name(),-8}  {r.Scope.Name(),-9}  {r.Definition.Title}"));
        }
        ctx.Out.WriteLine($"{list.Count} rules in {result.Catalog.RuleSets.Count} rule sets");
        return ExitCodes.Compliant;
    }
}
