using Audit.Core;
using Audit.Reports;
using Audit.Rules;

namespace Audit.Cli;

public sealed record RunSettings
{
    public string? Snapshot { get; init; }
    public IReadOnlyList<string> Rules { get; init; } = [];
    public string Out { get; init; } = "out";
    public Severity FailOn { get; init; } = Severity.High;
    public IReadOnlySet<string> Formats { get; init; } = new HashSet<string>(Commands.AllFormats, StringComparer.Ordinal);
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    public bool Quiet { get; init; }
    public long MaxInputBytes { get; init; } = LoadOptions.DefaultMaxBytes;
    /// <summary>HTML template overriding the embedded report.html.sbn.</summary>
    public string? Template { get; init; }
    /// <summary>Time bound of one check.</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public NightlySettings Nightly { get; init; } = new();
}

/// <summary>The load -> evaluate -> render pipeline behind run, evaluate and validate.</summary>
public sealed class AuditRunner(CliContext ctx)
{
    public int Run(RunSettings s)
    {
        var snapshotPath = s.Snapshot is not null ? ctx.Env.Resolve(s.Snapshot) : DefaultPath(Path.Combine("samples", "estate.snapshot.json"), "--snapshot");
        var rulePaths = s.Rules.Count > 0 ? s.Rules.Select(ctx.Env.Resolve).ToList() : [DefaultPath("rules", "--rules")];
        var outDir = ctx.Env.Resolve(s.Out);
        var writeFiles = s.Formats.Any(f => f != "console");
        if (writeFiles)
        {
            try
            {
                AtomicFile.EnsureWritableDirectory(outDir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot write to output folder '{s.Out}': {e.Message}");
            }
        }

        var templatePath = CheckTemplate(ctx, s.Template);
        using var progress = new ProgressLine(ctx);
        progress.Set("loading the snapshot and rule sets");
        var load = new LoadOptions { MaxBytes = s.MaxInputBytes };
        using var nightly = new NightlySteps(ctx, s.Nightly, load, Display);
        var parameterFile = nightly.LoadParameterFile();
        // Rules compile on one core while the snapshot loads on the other.
        var compiling = Task.Run(() => RuleSetLoader.Load(rulePaths, new RuleLoadOptions { ParameterOverrides = s.Parameters, Load = load, ParameterFile = parameterFile }));
        LoadedJson<Snapshot>? snapshot = null;
        IReadOnlyList<Diagnostic> snapshotDiagnostics = [];
        try
        {
            snapshot = SnapshotLoader.Load(snapshotPath, load, Display(snapshotPath));
        }
        catch (InputException e)
        {
            snapshotDiagnostics = e.Diagnostics;
        }
        var rules = compiling.GetAwaiter().GetResult();
        var diagnostics = new List<Diagnostic>(rules.Diagnostics);
        diagnostics.AddRange(snapshotDiagnostics);
        progress.Clear();
        if (rules.Catalog is null || snapshot is null)
        {
            ctx.PrintDiagnostics(diagnostics);
            return ExitCodes.InvalidInput;
        }
        ctx.PrintDiagnostics(diagnostics);
        var waivers = nightly.LoadWaivers(rules.Catalog);
        var catalog = nightly.Select(rules.Catalog);

        progress.Set("evaluating");

        var results = Evaluator.Evaluate(catalog, snapshot, new EvaluationOptions
        {
            FailOn = s.FailOn,
            ToolVersion = ctx.Env.Build.Version,
            ToolCommit = ctx.Env.Build.Commit,
            SnapshotPath = Display(snapshotPath),
            Clock = ctx.Env.Clock,
            CheckTimeout = s.CheckTimeout,
            Cancel = ctx.Cancel,
            Progress = progress.Checks,
        });
        progress.Clear();
        results = nightly.AfterEvaluation(results, waivers, catalog);

        ctx.Cancel.ThrowIfCancellationRequested();
        progress.Set("writing the reports");
        var written = OutputWriter.Write(results, s.Formats, outDir, templatePath, ctx.Cancel);
        progress.Dispose();
        OutputWriter.PrintConsole(ctx, results, s.Formats.Contains("console"), s.Quiet, written, s.Out);
        nightly.Finish(results, s.Formats.Contains("console") && !s.Quiet);
        return results.Summary.ExitCode;
    }

    /// <summary>audit report: re-render reports from a results.json written earlier. Exit 0 once written (not the run's verdict).</summary>
    public int Report(string resultsPath, IReadOnlySet<string> formats, string outRelative, string? template, bool quiet, long maxInputBytes = LoadOptions.DefaultMaxBytes)
    {
        var path = ctx.Env.Resolve(resultsPath);
        var outDir = ctx.Env.Resolve(outRelative);
        if (formats.Any(f => f != "console"))
        {
            try
            {
                AtomicFile.EnsureWritableDirectory(outDir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot write to output folder '{outRelative}': {e.Message}");
            }
        }
        var templatePath = CheckTemplate(ctx, template);
        var results = ResultsLoader.Load(path, new LoadOptions { MaxBytes = maxInputBytes }, resultsPath).Value;
        var written = OutputWriter.Write(results, formats, outDir, templatePath, ctx.Cancel);
        OutputWriter.PrintConsole(ctx, results, formats.Contains("console"), quiet, written, outRelative);
        return ExitCodes.Compliant;
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
        var rulePaths = rules.Count > 0 ? rules.Select(ctx.Env.Resolve).ToList() : [DefaultPath("rules", "--rules")];
        using var nightly = new NightlySteps(ctx, nightlySettings ?? new NightlySettings(), LoadOptions.Default, Display);
        var result = RuleSetLoader.Load(rulePaths, new RuleLoadOptions { ParameterOverrides = parameters, ParameterFile = nightly.LoadParameterFile() });
        var diagnostics = new List<Diagnostic>(result.Diagnostics);
        if (result.Catalog is not null)
        {
            try
            {
                nightly.LoadWaivers(result.Catalog);
            }
            catch (InputException e)
            {
                diagnostics.AddRange(e.Diagnostics);
            }
        }
        foreach (var snap in snapshots)
        {
            try
            {
                SnapshotLoader.Load(ctx.Env.Resolve(snap), displayPath: snap);
            }
            catch (InputException e)
            {
                diagnostics.AddRange(e.Diagnostics);
            }
        }
        ctx.PrintDiagnostics(diagnostics);
        if (diagnostics.Exists(d => d.Level == DiagnosticLevel.Error))
        {
            return ExitCodes.InvalidInput;
        }
        var sets = result.Catalog!.RuleSets;
        ctx.Out.WriteLine($"OK: {sets.Count} rule set(s), {result.Catalog.Rules.Count} rule(s) compiled{(snapshots.Count > 0 ? $", {snapshots.Count} snapshot(s) valid" : "")}.");
        return ExitCodes.Compliant;
    }

    public int Rules(IReadOnlyList<string> rules, string? docs)
    {
        var rulePaths = rules.Count > 0 ? rules.Select(ctx.Env.Resolve).ToList() : [DefaultPath("rules", "--rules")];
        var result = RuleSetLoader.Load(rulePaths);
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

    internal string Display(string path)
    {
        var rel = Path.GetRelativePath(ctx.Env.CurrentDirectory, path);
        return (rel.StartsWith("..", StringComparison.Ordinal) ? path : rel).Replace('\\', '/');
    }
}
