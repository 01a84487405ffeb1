using Audit.Core;
using Audit.Rules;

namespace Audit.Cli;

/// <summary>The nightly steps of a run around evaluation: waivers (and later selection, history, drift).</summary>
internal sealed class NightlySteps(CliContext ctx, NightlySettings settings, LoadOptions load, Func<string, string> display)
{
    /// <summary>The run's "today" for waiver expiry: the UTC date of the run clock (SOURCE_DATE_EPOCH pins it).</summary>
    public DateOnly Today { get; } = DateOnly.FromDateTime(ctx.Env.Clock().UtcDateTime);

    private SelectionInfo? _selection;
    private ParametersFileRef? _paramsFile;

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

    /// <summary>Applies waivers to the evaluated results and prints their warnings (expired, expiring soon, unmatched).</summary>
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
            Run = results.Run with { Selection = _selection, ParametersFile = _paramsFile },
        };
        if (waivers is not null)
        {
            var applied = WaiverApplier.Apply(results, waivers, Today, settings.WaiverWarnDays);
            ctx.PrintDiagnostics(applied.Warnings);
            results = applied.Results;
        }
        return results;
    }
}
