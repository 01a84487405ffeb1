using Audit.Core.History;
using Audit.Core.Results;

namespace Audit.Pipeline;

/// <summary>A finished run: its results document, and the history folder (if any) held until the run is kept in it.</summary>
public sealed class AuditRun : IDisposable
{
    private HistoryStore? _history;
    private readonly int _keep;

    internal AuditRun(ResultsDocument results, HistoryStore? history, int keep)
    {
        Results = results;
        _history = history;
        _keep = keep;
    }

    /// <summary>The finished document: every verdict, waivers, drift, and the summary with the run's exit code.</summary>
    public ResultsDocument Results { get; }

    /// <summary>Stores the run in --history, prunes the oldest runs beyond the kept number, and releases the folder.
    /// Null without --history. Call once the outputs are written.</summary>
    public HistoryKept? KeepInHistory()
    {
        if (_history is null)
        {
            return null;
        }
        var stored = _history.Store(Results);
        var pruned = _history.Prune(_keep, stored);
        Dispose();
        return new HistoryKept(stored.Name, pruned.Count, _keep);
    }

    /// <summary>Releases the history folder if this run still holds it.</summary>
    public void Dispose()
    {
        _history?.Dispose();
        _history = null;
    }
}

/// <summary>Where a run was kept: its file name in the history folder and how many older runs were removed.</summary>
public sealed record HistoryKept(string Name, int Pruned, int Keep);
