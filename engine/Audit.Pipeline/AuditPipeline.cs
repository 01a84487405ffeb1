using System.Text.Json;
using Audit.Core;
using Audit.Core.History;
using Audit.Rules.Compilation;
using Audit.Rules.Evaluation;
using Audit.Rules.Selection;
using Audit.Rules.Waivers;
using Audit.Core.Loading;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Pipeline;

/// <summary>
/// One audit run: load the snapshot and the rule sets (in parallel), select rules, load waivers, evaluate, apply waivers,
/// compare with the baseline and history, and finish the results document, whose summary and exit code are computed once,
/// here (<see cref="ResultsDraft.Finish"/>). Rendering and keeping the run in history are the caller's next steps.
/// </summary>
public static partial class AuditPipeline
{
    /// <summary>The schema of --params files.</summary>
    public const string ParametersFileSchema = "params.v1.schema.json";

    /// <summary>Runs <paramref name="request"/>. Invalid inputs: every diagnostic is reported to the observer and the run is
    /// null (exit 65). Throws <see cref="AuditRequestException"/>, <see cref="InputException"/> (waivers, baseline),
    /// <see cref="HistoryUnwritableException"/>, or <see cref="OperationCanceledException"/>.</summary>
    public static AuditRun? Run(AuditRequest request, IAuditObserver observer, CancellationToken cancel = default)
    {
        observer.Stage("loading the snapshot and rule sets");
        var parametersFile = LoadParametersFile(request.ParametersFile, request.Load, request.Display);
        // Rules compile on one core while the snapshot loads on the other.
        var compiling = Task.Run(() => RuleSetLoader.Load(request.RulePaths, new RuleLoadOptions
        {
            ParameterOverrides = request.ParameterOverrides,
            Load = request.Load,
            ParameterFile = parametersFile?.Loaded,
            Display = request.Display,
        }), cancel);
        LoadedJson<Snapshot>? snapshot = null;
        IReadOnlyList<Diagnostic> snapshotDiagnostics = [];
        try
        {
            snapshot = SnapshotLoader.Load(request.SnapshotPath, request.Load, request.Display(request.SnapshotPath));
        }
        catch (InputException e)
        {
            snapshotDiagnostics = e.Diagnostics;
        }
        var rules = compiling.GetAwaiter().GetResult();
        observer.Stage(null);
        observer.Diagnostics([.. rules.Diagnostics, .. snapshotDiagnostics]);
        if (rules.Catalog is null || snapshot is null)
        {
            return null;
        }

        var waivers = request.WaiversFile is { } w ? WaiversLoader.Load(w, rules.Catalog.Infos, request.Load, request.Display(w)) : null;
        var selection = RuleSelector.Apply(rules.Catalog, request.Selection);
        if (selection.Errors.Count > 0)
        {
            throw new AuditRequestException(string.Join(Environment.NewLine + "audit: error: ", selection.Errors));
        }

        observer.Stage("evaluating");
        var draft = Evaluator.Draft(selection.Catalog, snapshot.Value, snapshot.Sha256, new EvaluationOptions
        {
            FailOn = request.FailOn,
            ToolVersion = request.ToolVersion,
            ToolCommit = request.ToolCommit,
            SnapshotPath = request.Display(request.SnapshotPath),
            Clock = request.Clock,
            CheckTimeout = request.CheckTimeout,
            Cancel = cancel,
            Progress = observer.Checks,
        });
        observer.Stage(null);
        draft = draft with
        {
            ParameterSources = ParameterSources(selection.Catalog),
            Run = draft.Run with
            {
                Selection = selection.Info,
                ParametersFile = parametersFile?.Ref,
                GateOnNewFailures = request.GateOnNewFailures ? true : null,
            },
        };
        if (waivers is not null)
        {
            var applied = WaiverApplier.Apply(draft, waivers, DateOnly.FromDateTime(request.Clock().UtcDateTime), request.WaiverWarnDays);
            observer.Diagnostics(applied.Warnings);
            draft = applied.Results;
        }

        var history = OpenHistory(request, cancel);
        try
        {
            var stored = new List<StoredRun>();
            var earlier = EarlierRuns.Read(request, history, observer, stored);
            int? gate = null;
            if (earlier is not null)
            {
                var drift = DriftCalculator.Compute(draft, earlier.Runs, earlier.BaselinePath, earlier.BaselineSha256);
                draft = draft with { Drift = drift };
                gate = request.GateOnNewFailures ? DriftCalculator.GateExitCode(draft, drift, earlier.Runs) : null;
            }
            var finished = draft.Finish(gate);
            // The trend is drawn from the finished document and the kept runs; none without --history.
            finished = history is null ? finished : finished with { Trend = TrendCalculator.Compute(finished, stored) };
            return new AuditRun(finished, history, request.HistoryKeep);
        }
        catch
        {
            history?.Dispose();
            throw;
        }
    }

    /// <summary>Reads --params (schema/params.v1.schema.json); the values are checked against the declared types when the rule sets load.</summary>
    private static (LoadedJson<Dictionary<string, JsonElement>> Loaded, ParametersFileRef Ref)? LoadParametersFile(string? path, LoadOptions load, Func<string, string> display)
    {
        if (path is null)
        {
            return null;
        }
        var loaded = JsonFileLoader.Load<Dictionary<string, JsonElement>>(path, ParametersFileSchema, load, display(path));
        return (loaded, new ParametersFileRef { Path = loaded.DisplayPath, Sha256 = loaded.Sha256 });
    }

    /// <summary>ruleSetId.parameter -> where its value came from (default, file, commandLine).</summary>
    private static SortedDictionary<string, string> ParameterSources(RuleCatalog catalog)
    {
        var sources = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var set in catalog.RuleSets)
        {
            foreach (var (name, source) in set.ParameterSources)
            {
                sources[$"{set.Document.Id}.{name}"] = source;
            }
        }
        return sources;
    }

    /// <summary>Opens --history, held locked from reading the baseline until this run is kept (or the run is disposed).</summary>
    private static HistoryStore? OpenHistory(AuditRequest request, CancellationToken cancel)
    {
        if (request.HistoryFolder is not { } dir)
        {
            return null;
        }
        try
        {
            return HistoryStore.Open(dir, request.HistoryWait, cancel);
        }
        catch (HistoryLockedException e)
        {
            throw new AuditRequestException(e.Message, e);
        }
        catch (HistoryUnwritableException)
        {
            throw;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HistoryUnwritableException($"cannot use history folder '{request.HistoryFolderDisplay ?? dir}': {e.Message}", e);
        }
    }
}
