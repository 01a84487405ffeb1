using System.Diagnostics;
using System.Globalization;

namespace Audit.Cli;

/// <summary>
/// What a long run is doing, as one line on standard error rewritten in place with \r ("evaluating: 12,345 / 294,000
/// checks"): only when standard error is a terminal (never in pipes or logs), only once the work has lasted
/// <see cref="CliEnvironment.ProgressAfter"/> (quick runs print nothing), erased before anything else is printed.
/// </summary>
internal sealed class ProgressLine : IDisposable
{
    private readonly CliContext _ctx;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Lock _gate = new();
    private readonly Timer? _timer;
    private string? _text;
    private string? _shown;
    private bool _disposed;

    public ProgressLine(CliContext ctx)
    {
        _ctx = ctx;
        if (ctx.Env.IsErrorTerminal)
        {
            // Shows the current phase once the threshold passes even when nothing reports in between (loading, writing).
            _timer = new Timer(_ => Render(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>Shows <paramref name="text"/> (once the threshold has passed) until the next Set or Clear.</summary>
    public void Set(string text)
    {
        lock (_gate)
        {
            _text = text;
        }
        Render();
    }

    public void Checks(int done, int total) =>
        Set(string.Create(CultureInfo.InvariantCulture, $"evaluating: {done:N0} / {total:N0} checks"));

    /// <summary>Erases the line (before other output on standard error) and shows nothing until the next Set.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _text = null;
            Erase();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _text = null;
            Erase();
        }
        _timer?.Dispose();
    }

    private void Render()
    {
        lock (_gate)
        {
            if (_timer is null || _disposed || _text is null || _text == _shown || Stopwatch.GetElapsedTime(_started) < _ctx.Env.ProgressAfter)
            {
                return;
            }
            var line = CliContext.Sanitize(_text);
            // Padded over the previous text so no tail of a longer line stays.
            _ctx.Err.Write("\r" + line.PadRight(_shown?.Length ?? 0));
            _ctx.Err.Flush();
            _shown = line;
        }
    }

    private void Erase()
    {
        if (_shown is not null)
        {
            _ctx.Err.Write("\r" + new string(' ', _shown.Length) + "\r");
            _ctx.Err.Flush();
            _shown = null;
        }
    }
}
