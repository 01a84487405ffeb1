using Audit.Core;
using Audit.Pipeline;

namespace Audit.Cli;

/// <summary>Shows a run's progress on the terminal's progress line and its diagnostics on standard error.</summary>
internal sealed class CliObserver(CliContext ctx, ProgressLine progress) : IAuditObserver
{
    public void Diagnostics(IReadOnlyList<Diagnostic> batch) => ctx.PrintDiagnostics(batch);

    public void Stage(string? description)
    {
        if (description is null)
        {
            progress.Clear();
        }
        else
        {
            progress.Set(description);
        }
    }

    public void Checks(int done, int total) => progress.Checks(done, total);
}
