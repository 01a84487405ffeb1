using Audit.Core;

namespace Audit.Pipeline;

/// <summary>The runs this one is compared with: the baseline first (--baseline, else the newest kept in --history), then
/// older runs from the history, newest first (they only lengthen the counts of consecutive failures).</summary>
internal sealed record EarlierRuns(IReadOnlyList<ResultsDocument> Runs, string? BaselinePath, string BaselineSha256)
{
    /// <summary>Null when there is nothing to compare with.</summary>
    public static EarlierRuns? Read(AuditRequest request, HistoryStore? history, IAuditObserver observer)
    {
        var runs = new List<ResultsDocument>();
        string? baselinePath = null;
        var baselineSha = "";
        if (request.BaselineFile is { } path)
        {
            var b = ResultsLoader.Load(path, request.Load, request.Display(path));
            runs.Add(b.Value);
            (baselinePath, baselineSha) = (b.DisplayPath, b.Sha256);
        }
        if (history is not null)
        {
            // Newest first; with an explicit baseline, only runs older than it lengthen the consecutive counts.
            foreach (var entry in history.Entries().Reverse())
            {
                if (runs.Count > 0 && entry.CollectedAt > runs[0].Run.Snapshot.CollectedAt)
                {
                    continue;
                }
                LoadedJson<ResultsDocument> loaded;
                try
                {
                    loaded = ResultsLoader.Load(entry.Path, request.Load, request.Display(entry.Path));
                }
                catch (InputException e)
                {
                    // A damaged history entry must not stop the nightly run: say so and skip it.
                    observer.Diagnostics([.. e.Diagnostics.Select(d => d with { Level = DiagnosticLevel.Warning, Message = "history entry skipped: " + d.Message })]);
                    continue;
                }
                if (runs.Count == 0)
                {
                    (baselinePath, baselineSha) = (loaded.DisplayPath, loaded.Sha256);
                }
                else if (loaded.Sha256 == baselineSha)
                {
                    continue;
                }
                runs.Add(loaded.Value);
            }
        }
        return runs.Count == 0 ? null : new EarlierRuns(runs, baselinePath, baselineSha);
    }
}
