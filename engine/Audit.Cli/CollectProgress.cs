using System.Globalization;
using Audit.Collectors.Cim;
using Audit.Collectors.Estate;
using Audit.Core;

namespace Audit.Cli;

/// <summary>Hosts done / failed / in flight: one rewritten line when standard error is a terminal, one plain line per host
/// otherwise (logs); warnings before collection starts.</summary>
internal sealed class CollectProgress(CliContext ctx) : ICollectObserver
{
    private readonly Lock _gate = new();
    private bool _wroteLine;

    public void Warning(Diagnostic warning) => ctx.Err.WriteLine(CliContext.Sanitize(warning.ToString()));

    public void Report(CollectionProgress value)
    {
        lock (_gate)
        {
            var counts = string.Create(CultureInfo.InvariantCulture, $"{value.Done}/{value.Total} done, {value.Failed} failed, {value.InFlight} in flight");
            if (ctx.Env.IsErrorTerminal)
            {
                ctx.Err.Write("\r" + CliContext.Sanitize($"collecting: {counts}   "));
                _wroteLine = true;
            }
            else
            {
                ctx.Err.WriteLine(CliContext.Sanitize($"audit: {value.Host}: {value.Summary} [{counts}]"));
            }
        }
    }

    /// <summary>Ends the rewritten line, if one was written.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_wroteLine)
            {
                ctx.Err.WriteLine();
            }
        }
    }
}
