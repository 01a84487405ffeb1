using Audit.Core;
using Audit.Rules;

namespace Audit.Cli;

/// <summary>
/// The nightly steps of a run around evaluation: parameter file, selection, waivers, then drift against a baseline and
/// the history folder (held locked from reading the baseline until this run is stored).
/// </summary>
internal sealed class NightlySteps(CliContext ctx, NightlySettings settings, LoadOptions load, Func<string, string> display) : IDisposable
{
    private SelectionInfo? _selection;
    private ParametersFileRef? _paramsFile;
    private HistoryStore? _history;

    /// <summary>The run's "today" for waiver expiry: the UTC date of the run clock (SOURCE_DATE_EPOCH pins it).</summary>
    public DateOnly Today { get; } = DateOnly.FromDateTime(ctx.Env.Clock().UtcDateTime);

    /// <summary>Reads --params (schema/params.v1.schema.json); values are checked against the declared types when the rule sets load.</summary>
    public LoadedJson<Dictionary<string, System.Text.Json.JsonElement>>? LoadParameterFile()
    {
        if (settings.ParamsFile is null)
        {
            return null;
        }
        var path = ctx.Env.Resolve(settings.ParamsFile);
        var loaded = JsonFileLoader.Load<Dictionary<string, System.Text.Json.JsonElement>>(path, "params.v1.schema.json", load, display(path));
        _paramsFile = new ParametersFileRef { Path = loaded.DisplayPath, Sha256 = loaded.Sha256 };
        return loaded;
    }

    /// <summary>Restricts the catalogue to the selected rules; a term matching nothing is a usage error.</summary>
    public RuleCatalog Select(RuleCatalog catalog)
    {
        var selection = RuleSelector.Apply(catalog, settings.Selection);
        if (selection.Errors.Count > 0)
        {
            throw new UsageException(string.Join(Environment.NewLine + "audit: error: ", selection.Errors));
        }
        _selection = selection.Info;
        return selection.Catalog;
    }

    /// <summary>Loads the waivers file against every loaded rule (a waiver naming an unknown rule is an error even if the rule is not selected).</summary>
    public WaiverSet? LoadWaivers(RuleCatalog catalog)
    {
        if (settings.Waivers is null)
        {
            return null;
        }
        var path = ctx.Env.Resolve(settings.Waivers);
        return WaiversLoader.Load(path, catalog.Infos, load, display(path));
    }

    /// <summary>Records parameters and selection, applies waivers (printing their warnings), then adds drift and the --fail-on-new gate.</summary>
    public ResultsDocument AfterEvaluation(ResultsDocument results, WaiverSet? waivers, RuleCatalog catalog)
    {
        var sources = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var set in catalog.RuleSets)
        {
            foreach (var (name, source) in set.ParameterSources)
            {
                sources[$"{set.Document.Id}.{name}"] = source;
            }
        }
        results = results with
        {
            ParameterSources = sources,
            Run = results.Run with { Selection = _selection, ParametersFile = _paramsFile, GateOnNewFailures = settings.FailOnNew ? true : null },
        };
        if (waivers is not null)
        {
            var applied = WaiverApplier.Apply(results, waivers, Today, settings.WaiverWarnDays);
            ctx.PrintDiagnostics(applied.Warnings);
            results = applied.Results;
        }
        return AddDrift(results);
    }

    private ResultsDocument AddDrift(ResultsDocument results)
    {
        var earlier = new List<ResultsDocument>();
        string? baselinePath = null;
        var baselineSha = "";
        if (settings.History is not null)
        {
            var dir = ctx.Env.Resolve(settings.History);
            try
            {
                _history = HistoryStore.Open(dir, settings.HistoryWait, ctx.Cancel);
            }
            catch (HistoryLockedException e)
            {
                throw new UsageException(e.Message);
            }
            catch (HistoryUnwritableException)
            {
                throw;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new HistoryUnwritableException($"cannot use history folder '{settings.History}': {e.Message}", e);
            }
        }
        if (settings.Baseline is not null)
        {
            var path = ctx.Env.Resolve(settings.Baseline);
            var b = ResultsLoader.Load(path, load, display(path));
            earlier.Add(b.Value);
            (baselinePath, baselineSha) = (b.DisplayPath, b.Sha256);
        }
        if (_history is not null)
        {
            // Newest first; with an explicit baseline, only runs older than it lengthen the consecutive counts.
            foreach (var entry in _history.Entries().Reverse())
            {
                if (earlier.Count > 0 && entry.CollectedAt > earlier[0].Run.Snapshot.CollectedAt)
                {
                    continue;
                }
                LoadedJson<ResultsDocument> loaded;
                try
                {
                    loaded = ResultsLoader.Load(entry.Path, load, display(entry.Path));
                }
                catch (InputException e)
                {
                    // A damaged history entry must not stop the nightly run: say so and skip it.
                    ctx.PrintDiagnostics(e.Diagnostics.Select(d => d with { Level = DiagnosticLevel.Warning, Message = "history entry skipped: " + d.Message }));
                    continue;
                }
                if (earlier.Count == 0)
                {
                    (baselinePath, baselineSha) = (loaded.DisplayPath, loaded.Sha256);
                }
                else if (loaded.Sha256 == baselineSha)
                {
                    continue;
                }
                earlier.Add(loaded.Value);
            }
        }
        if (earlier.Count == 0)
        {
            return results;
        }
        var drift = DriftCalculator.Compute(results, earlier, baselinePath, baselineSha);
        results = results with { Drift = drift };
        if (settings.FailOnNew)
        {
            var exit = DriftCalculator.GateExitCode(results, drift, earlier);
            results = results with { Summary = results.Summary with { ExitCode = exit } };
        }
        return results;
    }

    /// <summary>Stores the run in --history (pruning old runs), prints the drift summary, and releases the history lock.</summary>
    public void Finish(ResultsDocument results, bool printDrift)
    {
        if (_history is null)
        {
            return;
        }
        var stored = _history.Store(results);
        var pruned = _history.Prune(settings.HistoryKeep, stored);
        if (printDrift)
        {
            ctx.Out.WriteLine($"Kept in history as {Path.Combine(settings.History!, stored.Name)}{(pruned.Count > 0 ? $" ({pruned.Count} older run(s) removed, keeping {settings.HistoryKeep})" : "")}");
        }
        Dispose();
    }

    public void Dispose()
    {
        _history?.Dispose();
        _history = null;
    }
}
