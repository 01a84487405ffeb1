using Audit.Core;
using Audit.Core.History;
using Audit.Core.Loading;
using Audit.Core.Results;

namespace Audit.Pipeline;

/// <summary>The runs this one is compared with: the baseline first (--baseline, else the newest kept in --history), then
/// older runs from the history, newest first (they only lengthen the counts of consecutive failures).</summary>
internal sealed record EarlierRuns(IReadOnlyList<ResultsDocument> Runs, string? BaselinePath, string BaselineSha256)
{
    /// <summary>Null when there is nothing to compare with. <paramref name="stored"/> receives the history's entries for the
    /// trend, oldest first (an unreadable one with null results; those newer than an explicit baseline too, within the trend's window).</summary>
    public static EarlierRuns? Read(AuditRequest request, HistoryStore? history, IAuditObserver observer, List<StoredRun>? stored = null)
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
            var entries = history.Entries();
            var inTrend = stored is null ? entries.Count : entries.Count - (TrendCalculator.MaxRuns - 1);
            foreach (var (entry, i) in entries.Select((e, i) => (e, i)).Reverse())
            {
                // Runs newer than an explicit baseline count for the trend only.
                var newer = runs.Count > 0 && entry.CollectedAt > runs[0].Run.Snapshot.CollectedAt;
                if (newer && i < inTrend)
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
                    // A damaged history entry must not stop the nightly run: say so and skip it (the trend names it).
                    observer.Diagnostics([.. e.Diagnostics.Select(d => d with { Level = DiagnosticLevel.Warning, Message = "history entry skipped: " + d.Message })]);
                    stored?.Insert(0, new StoredRun(entry.Name, null));
                    continue;
                }
                stored?.Insert(0, new StoredRun(entry.Name, loaded.Value));
                if (newer)
                {
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
