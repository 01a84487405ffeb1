using Audit.Core;
using Audit.Pipeline;
using Audit.Reports;
using Audit.Core.Loading;
using Audit.Core.Results;

namespace Audit.Cli;

/// <summary>The audit behind run and evaluate, and the re-rendering behind report: options in, a request to
/// <see cref="AuditPipeline"/> (or a results file read), <see cref="ReportWriter"/>, the console summary, an exit code.</summary>
internal sealed class AuditRunner(CliContext ctx)
{
    public int Run(RunSettings s)
    {
        var outDir = ctx.Env.Resolve(s.Out);
        EnsureOutputFolder(outDir, s.Formats, s.Out);
        var templatePath = CheckTemplate(ctx, s.Template);
        using var progress = new ProgressLine(ctx);
        var request = Request(s);
        using var run = AuditPipeline.Run(request, new CliObserver(ctx, progress), ctx.Cancel);
        if (run is null)
        {
            return ExitCodes.InvalidInput;
        }
        ctx.Cancel.ThrowIfCancellationRequested();
        progress.Set("writing the reports");
        var written = ReportWriter.Write(run.Results, s.Formats, outDir, templatePath, ctx.Cancel);
        progress.Dispose();
        var console = s.Formats.HasFlag(OutputFormats.Console);
        PrintConsole(run.Results, console, s.Quiet, written, s.Out);
        if (run.KeepInHistory() is { } kept && console && !s.Quiet)
        {
            ctx.Out.WriteLine($"Kept in history as {Path.Combine(s.Nightly.History!, kept.Name)}{(kept.Pruned > 0 ? $" ({kept.Pruned} older run(s) removed, keeping {kept.Keep})" : "")}");
        }
        return run.Results.Summary.ExitCode;
    }

    private AuditRequest Request(RunSettings s)
    {
        var n = s.Nightly;
        string? Optional(string? path) => path is null ? null : ctx.Env.Resolve(path);
        return new AuditRequest
        {
            SnapshotPath = s.Snapshot is not null ? ctx.Env.Resolve(s.Snapshot) : ctx.DefaultPath(DefaultInputs.SampleSnapshot, "--snapshot"),
            RulePaths = ctx.RulePaths(s.Rules),
            ParameterOverrides = s.Parameters,
            ParametersFile = Optional(n.ParamsFile),
            WaiversFile = Optional(n.Waivers),
            WaiverWarnDays = n.WaiverWarnDays,
            Selection = n.Selection,
            BaselineFile = Optional(n.Baseline),
            HistoryFolder = Optional(n.History),
            HistoryFolderDisplay = n.History,
            HistoryKeep = n.HistoryKeep,
            HistoryWait = n.HistoryWait,
            FailOn = s.FailOn,
            GateOnNewFailures = n.FailOnNew,
            CheckTimeout = s.CheckTimeout,
            Load = new LoadOptions { MaxBytes = s.MaxInputBytes },
            ToolVersion = ctx.Env.Build.Version,
            ToolCommit = ctx.Env.Build.Commit,
            Clock = ctx.Env.Clock,
            Display = ctx.Display,
        };
    }

    /// <summary>audit report: re-render reports from a results.json written earlier. Exit 0 once written (not the run's verdict).</summary>
    public int Report(string resultsPath, OutputFormats formats, string outRelative, string? template, bool quiet, long maxInputBytes = LoadOptions.DefaultMaxBytes)
    {
        var path = ctx.Env.Resolve(resultsPath);
        var outDir = ctx.Env.Resolve(outRelative);
        EnsureOutputFolder(outDir, formats, outRelative);
        var templatePath = CheckTemplate(ctx, template);
        var results = ResultsLoader.Load(path, new LoadOptions { MaxBytes = maxInputBytes }, resultsPath).Value;
        var written = ReportWriter.Write(results, formats, outDir, templatePath, ctx.Cancel);
        PrintConsole(results, formats.HasFlag(OutputFormats.Console), quiet, written, outRelative);
        return ExitCodes.Compliant;
    }

    private static void EnsureOutputFolder(string outDir, OutputFormats formats, string spelled)
    {
        if ((formats & ~OutputFormats.Console) == OutputFormats.None)
        {
            return;
        }
        try
        {
            AtomicFile.EnsureWritableDirectory(outDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write to output folder '{spelled}': {e.Message}");
        }
    }

    private void PrintConsole(ResultsDocument results, bool console, bool quiet, IReadOnlyList<string> written, string outDir)
    {
        ConsoleRenderer.Render(results, ctx.Out, new ConsoleOptions { Color = ctx.Env.Color, Quiet = quiet || !console });
        if (console && !quiet && written.Count > 0)
        {
            ctx.Out.WriteLine();
            ctx.Out.WriteLine(CliContext.Sanitize($"Wrote {string.Join(", ", written.Select(w => Path.Combine(outDir, w)))}"));
        }
    }

    /// <summary>Resolves and parses a --template file up front (exit 64 if missing, 65 with its position if it does not parse).</summary>
    /// <returns>The template's full path, or null for the embedded one.</returns>
    public static string? CheckTemplate(CliContext ctx, string? template)
    {
        if (template is null)
        {
            return null;
        }
        var path = ctx.Env.Resolve(template);
        if (!File.Exists(path))
        {
            throw new UsageException($"--template '{template}' does not exist");
        }
        HtmlReportRenderer.CheckTemplate(path, template);
        return path;
    }
}
