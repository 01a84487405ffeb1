using Audit.Core;
using Audit.Core.History;
using Audit.Core.Loading;
using Audit.Core.Results;

namespace Audit.Pipeline;

/// <summary>The drift between two results files (<c>audit diff</c>), or why it could not be computed: every diagnostic of
/// both files.</summary>
public sealed record ComparisonResult(DriftReport? Drift, IReadOnlyList<Diagnostic> Diagnostics);

public static partial class AuditPipeline
{
    /// <summary>Loads both results files (each one's problems reported, not only the first's) and compares
    /// <paramref name="newerPath"/> with <paramref name="olderPath"/> as its baseline.</summary>
    public static ComparisonResult Compare(string olderPath, string newerPath, LoadOptions load, Func<string, string> display)
    {
        var diagnostics = new List<Diagnostic>();
        LoadedJson<ResultsDocument>? Load(string path)
        {
            try
            {
                return ResultsLoader.Load(path, load, display(path));
            }
            catch (InputException e)
            {
                diagnostics.AddRange(e.Diagnostics);
                return null;
            }
        }
        var before = Load(olderPath);
        var after = Load(newerPath);
        return before is null || after is null
            ? new ComparisonResult(null, diagnostics)
            : new ComparisonResult(DriftCalculator.Compute(after.Value, [before.Value], before.DisplayPath, before.Sha256), diagnostics);
    }
}
