using Audit.Core;
using Audit.Pipeline;
using Audit.Reports;
using Audit.Rules.Compilation;
using Audit.Rules.Documentation;
using Audit.Core.History;
using Audit.Core.Loading;
using Audit.Core.Results;

namespace Audit.Cli;

public sealed record RunSettings
{
    public string? Snapshot { get; init; }
    public IReadOnlyList<string> Rules { get; init; } = [];
    public string Out { get; init; } = "out";
    public Severity FailOn { get; init; } = Severity.High;
    public OutputFormats Formats { get; init; } = OutputFormats.All;
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    public bool Quiet { get; init; }
    public long MaxInputBytes { get; init; } = LoadOptions.DefaultMaxBytes;
    /// <summary>HTML template overriding the embedded report.html.sbn.</summary>
    public string? Template { get; init; }
    /// <summary>Time bound of one check.</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public NightlySettings Nightly { get; init; } = new();
}

/// <summary>The commands behind run, evaluate, report, diff, validate and rules: each resolves its paths, calls the
/// library (<see cref="AuditPipeline"/>, <see cref="ReportWriter"/>, ...) and prints.</summary>
public sealed class AuditRunner(CliContext ctx)
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
            SnapshotPath = s.Snapshot is not null ? ctx.Env.Resolve(s.Snapshot) : DefaultPath(Path.Combine("samples", "estate.snapshot.json"), "--snapshot"),
            RulePaths = RulePaths(s.Rules),
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
            Display = Display,
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

    /// <summary>audit diff OLD NEW: the drift between two results files, as text, new failures first.</summary>
    public int Diff(string oldPath, string newPath, long maxInputBytes = LoadOptions.DefaultMaxBytes)
    {
        var (o, n) = (ctx.Env.Resolve(oldPath), ctx.Env.Resolve(newPath));
        var diagnostics = new List<Diagnostic>();
        LoadedJson<ResultsDocument>? before = null, after = null;
        foreach (var (path, set) in new (string, Action<LoadedJson<ResultsDocument>>)[] { (o, x => before = x), (n, x => after = x) })
        {
            try
            {
                set(ResultsLoader.Load(path, new LoadOptions { MaxBytes = maxInputBytes }, Display(path)));
            }
            catch (InputException e)
            {
                diagnostics.AddRange(e.Diagnostics);
            }
        }
        if (before is null || after is null)
        {
            ctx.PrintDiagnostics(diagnostics);
            return ExitCodes.InvalidInput;
        }
        DriftTextWriter.Write(ctx.Out, DriftCalculator.Compute(after.Value, [before.Value], before.DisplayPath, before.Sha256), brief: false);
        return ExitCodes.Compliant;
    }

    public int Validate(IReadOnlyList<string> rules, IReadOnlyList<string> snapshots, IReadOnlyDictionary<string, string> parameters, NightlySettings? nightlySettings = null)
    {
        var n = nightlySettings ?? new NightlySettings();
        var check = AuditPipeline.Validate(new ValidationRequest
        {
            RulePaths = RulePaths(rules),
            ParameterOverrides = parameters,
            ParametersFile = n.ParamsFile is null ? null : ctx.Env.Resolve(n.ParamsFile),
            WaiversFile = n.Waivers is null ? null : ctx.Env.Resolve(n.Waivers),
            Snapshots = [.. snapshots.Select(p => (ctx.Env.Resolve(p), p))],
            Display = Display,
        });
        ctx.PrintDiagnostics(check.Diagnostics);
        if (check.Catalog is null)
        {
            return ExitCodes.InvalidInput;
        }
        ctx.Out.WriteLine($"OK: {check.Catalog.RuleSets.Count} rule set(s), {check.Catalog.Rules.Count} rule(s) compiled{(snapshots.Count > 0 ? $", {snapshots.Count} snapshot(s) valid" : "")}.");
        return ExitCodes.Compliant;
    }

    public int Rules(IReadOnlyList<string> rules, string? docs)
    {
        var rulePaths = RulePaths(rules);
        var result = RuleSetLoader.Load(rulePaths, new RuleLoadOptions { Display = Display });
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

    /// <summary>
    /// A default input (rules/, samples/estate.snapshot.json): in the current folder; else in the nearest folder above it
    /// that is an Audit tree (a checkout or an installed tool: it holds <see cref="TreeMarker"/>), so that a 'rules' folder
    /// of some other project above the current one is never taken for ours; else beside the executable (an installed
    /// tool or single-file build carries the bundled rules and sample there) or in the Audit tree above it (a build
    /// output inside a checkout).
    /// </summary>
    internal string DefaultPath(string relative, string option)
    {
        foreach (var dir in DefaultRoots())
        {
            var candidate = Path.Combine(dir, relative);
            if (File.Exists(candidate) || Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new UsageException($"no {relative.Replace('\\', '/')} in '{ctx.Env.CurrentDirectory}', in an Audit checkout above it, or beside the executable ({AppContext.BaseDirectory}); pass {option}");
    }

    /// <summary>What makes a folder an Audit tree: the rule set schema, shipped in every checkout and beside the installed tool.</summary>
    internal static readonly string TreeMarker = Path.Combine("schema", "ruleset.v1.schema.json");

    private IEnumerable<string> DefaultRoots()
    {
        yield return ctx.Env.CurrentDirectory;
        foreach (var start in new[] { new DirectoryInfo(ctx.Env.CurrentDirectory).Parent, new DirectoryInfo(AppContext.BaseDirectory) })
        {
            for (var dir = start; dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, TreeMarker)))
                {
                    yield return dir.FullName;
                    break;
                }
            }
        }
    }

    /// <summary>The --rules paths given, resolved; or the default rules/ folder (<see cref="DefaultPath"/>).</summary>
    internal IReadOnlyList<string> RulePaths(IReadOnlyList<string> given) =>
        given.Count > 0 ? [.. given.Select(ctx.Env.Resolve)] : [DefaultPath("rules", "--rules")];

    internal string Display(string path)
    {
        var rel = Path.GetRelativePath(ctx.Env.CurrentDirectory, path);
        return (rel.StartsWith("..", StringComparison.Ordinal) ? path : rel).Replace('\\', '/');
    }
}
