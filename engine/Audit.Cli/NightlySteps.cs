using Audit.Core;
using Audit.Rules;

namespace Audit.Cli;

/// <summary>The nightly steps of a run around evaluation: waivers (and later selection, history, drift).</summary>
internal sealed class NightlySteps(CliContext ctx, NightlySettings settings, LoadOptions load, Func<string, string> display)
{
    /// <summary>The run's "today" for waiver expiry: the UTC date of the run clock (SOURCE_DATE_EPOCH pins it).</summary>
    public DateOnly Today { get; } = DateOnly.FromDateTime(ctx.Env.Clock().UtcDateTime);

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
    public ResultsDocument AfterEvaluation(ResultsDocument results, WaiverSet? waivers)
    {
        if (waivers is not null)
        {
            var applied = WaiverApplier.Apply(results, waivers, Today, settings.WaiverWarnDays);
            ctx.PrintDiagnostics(applied.Warnings);
            results = applied.Results;
        }
        return results;
    }
}
