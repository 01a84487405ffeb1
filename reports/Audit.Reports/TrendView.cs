using System.Globalization;
using Audit.Core;
using Audit.Core.History;
using Audit.Core.Results;

namespace Audit.Reports;

/// <summary>
/// The trend section: failing and erroring checks by severity over the runs kept in --history, drawn as inline SVG by
/// the template from coordinates computed here (no script needed to see it; it prints). Lines differ by dash pattern
/// and marker shape as well as colour, and each is labelled by its severity at its end, so the chart reads in black
/// and white; a table beside it gives every number. Fewer than <see cref="MinRuns"/> runs: no chart, a sentence.
/// </summary>
internal sealed record TrendView(int RunCount, string First, string Last, int Omitted, IReadOnlyList<string> Unreadable,
    IReadOnlyList<TrendChartView> Charts, IReadOnlyList<TrendRowView> Rows)
{
    /// <summary>Runs needed for a chart: this one and at least one kept before it.</summary>
    public const int MinRuns = 2;

    public const int Width = 640;
    public const int Height = 230;
    private const int Left = 44, Right = 96, Top = 14, Bottom = 44;

    public bool HasChart => RunCount >= MinRuns;
    public int ChartWidth { get; init; } = Width;
    public int ChartHeight { get; init; } = Height;

    /// <summary>Line style per severity (critical first): dash pattern ("" solid) and marker shape.</summary>
    private static readonly (string Dash, string Shape)[] Styles =
    [
        ("", "square"),
        ("", "circle"),
        ("7 4", "triangle"),
        ("2 3", "diamond"),
        ("9 3 2 3", "cross"),
    ];

    public static TrendView? From(TrendReport? trend)
    {
        if (trend is null)
        {
            return null;
        }
        // A tampered file cannot make the page unbounded: the last MaxRuns runs at most.
        var runs = trend.Runs.Skip(Math.Max(0, trend.Runs.Count - TrendCalculator.MaxRuns)).ToList();
        var rows = runs.Select((r, i) => new TrendRowView(
            i + 1,
            ReportView.Iso(r.CollectedAt),
            ReportView.Iso(r.FinishedAt),
            Math.Max(0, r.Checks),
            Total(r.Fail),
            Words(r.Fail),
            Total(r.Error),
            Words(r.Error),
            r.Current == true)).ToList();
        var charts = runs.Count >= MinRuns
            ? new List<TrendChartView> { Chart("trend-fail", "fail", "Failing checks by severity", runs, r => r.Fail), Chart("trend-error", "error", "Erroring checks (could not be evaluated) by severity", runs, r => r.Error) }
            : [];
        return new TrendView(runs.Count,
            runs.Count > 0 ? ReportView.Iso(runs[0].CollectedAt) : "",
            runs.Count > 0 ? ReportView.Iso(runs[^1].CollectedAt) : "",
            Math.Max(0, trend.Omitted) + (trend.Runs.Count - runs.Count),
            [.. trend.Unreadable.Take(TrendCalculator.MaxRuns).Select(TextSanitizer.Name)],
            charts, rows);
    }

    private static int Total(SeverityCounts c) => Enum.GetValues<Severity>().Sum(s => Math.Max(0, c[s]));

    private static string Words(SeverityCounts c)
    {
        var parts = Enum.GetValues<Severity>().Where(s => c[s] > 0).Select(s => string.Create(CultureInfo.InvariantCulture, $"{c[s]} {s.Name()}")).ToList();
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    private static string N(double v) => Math.Round(v, 1).ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>The smallest of 1, 2, 5 x 10^k at or above <paramref name="max"/>/4 (a tick step), at least 1.</summary>
    internal static int Step(int max)
    {
        var target = Math.Max(1.0, max / 4.0);
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(target)));
        foreach (var m in new[] { 1, 2, 5, 10 })
        {
            if (m * magnitude >= target)
            {
                return (int)(m * magnitude);
            }
        }
        return (int)(10 * magnitude);
    }

    private static TrendChartView Chart(string id, string kind, string title, List<TrendRun> runs, Func<TrendRun, SeverityCounts> pick)
    {
        var n = runs.Count;
        var max = runs.Max(r => Enum.GetValues<Severity>().Max(s => Math.Max(0, pick(r)[s])));
        var step = Step(max);
        var top = Math.Max(step, (max + step - 1) / step * step);
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        double X(int i) => Left + (n == 1 ? plotW / 2.0 : i * (double)plotW / (n - 1));
        double Y(int v) => Top + plotH - (double)Math.Max(0, v) / top * plotH;

        var ticks = new List<TrendTickView>();
        for (var v = 0; v <= top; v += step)
        {
            ticks.Add(new TrendTickView(N(Y(v)), N(Y(v) + 4), v.ToString(CultureInfo.InvariantCulture)));
        }
        // Every run is a point; dates are written under at most 10 of them (the first, the last, evenly between).
        var every = Math.Max(1, (int)Math.Ceiling(n / 10.0));
        var xs = runs.Select((r, i) => new TrendXView(i, N(X(i)),
            r.Current == true ? "this run" : r.CollectedAt.UtcDateTime.ToString("MM-dd", CultureInfo.InvariantCulture),
            i == n - 1 || (i % every == 0 && n - 1 - i >= every / 2.0),
            ReportView.Iso(r.CollectedAt))).ToList();

        var series = new List<TrendSeriesView>();
        var none = new List<string>();
        foreach (var s in Enum.GetValues<Severity>())
        {
            var values = runs.Select(r => Math.Max(0, pick(r)[s])).ToList();
            if (values.All(v => v == 0))
            {
                none.Add(s.Name());
                continue;
            }
            var (dash, shape) = Styles[(int)s];
            var points = values.Select((v, i) => new TrendPointView(i, v, N(X(i)), N(Y(v)), Marker(shape, X(i), Y(v)),
                string.Create(CultureInfo.InvariantCulture, $"{s.Name()} {kind}: {v} on the snapshot of {ReportView.Iso(runs[i].CollectedAt)}"))).ToList();
            series.Add(new TrendSeriesView(s.Name(), kind, dash, shape, string.Join(" ", points.Select(p => p.X + "," + p.Y)), points, values[^1])
            {
                LabelY = Y(values[^1]),
            });
        }
        // End labels ("high 12") beside the last points, nudged apart so that equal values stay readable.
        var placed = series.OrderBy(x => x.LabelY).ToList();
        for (var i = 1; i < placed.Count; i++)
        {
            if (placed[i].LabelY - placed[i - 1].LabelY < 12)
            {
                placed[i].LabelY = placed[i - 1].LabelY + 12;
            }
        }
        var desc = string.Create(CultureInfo.InvariantCulture,
            $"{title} in {n} runs, snapshots from {ReportView.Iso(runs[0].CollectedAt)} to {ReportView.Iso(runs[^1].CollectedAt)}, the last being this run. ") +
            (series.Count == 0 ? "None at any severity in any run." : string.Join("; ", series.Select(x => x.Severity + ": " + string.Join(", ", x.Points.Select(p => p.Value))))) +
            (none.Count > 0 && series.Count > 0 ? ". None in any run: " + string.Join(", ", none) + "." : "");
        return new TrendChartView(id, kind, title, desc, N(Left), N(Left + plotW), N(Top), N(Top + plotH), N(Left + plotW + 8), ticks, xs, series,
            none.Count == 0 ? "" : (series.Count == 0 ? "none at any severity in any run" : "none in any run: " + string.Join(", ", none)))
        {
            TickX = N(Left - 6),
            TickBottom = N(Top + plotH + 4),
            DateY = N(Top + plotH + 17),
            NoneX = N(Left + 6),
            NoneY = N(Top + 12),
        };
    }

    /// <summary>An SVG path for a marker centred on (x, y): filled square and circle, hollow triangle and diamond, a cross.</summary>
    private static string Marker(string shape, double x, double y) => shape switch
    {
        "square" => $"M{N(x - 3.5)} {N(y - 3.5)}h7v7h-7z",
        "circle" => $"M{N(x - 3.5)} {N(y)}a3.5 3.5 0 1 0 7 0a3.5 3.5 0 1 0 -7 0z",
        "triangle" => $"M{N(x)} {N(y - 4.5)}l4.5 8h-9z",
        "diamond" => $"M{N(x)} {N(y - 4.5)}l4.5 4.5l-4.5 4.5l-4.5 -4.5z",
        _ => $"M{N(x - 3.5)} {N(y - 3.5)}l7 7m0 -7l-7 7",
    };
}

/// <summary>One chart: axes (as coordinates), y ticks, x labels and a line per severity with any count in the window.</summary>
internal sealed record TrendChartView(string Id, string Kind, string Title, string Desc, string X0, string X1, string Y0, string Y1, string LabelX,
    IReadOnlyList<TrendTickView> Ticks, IReadOnlyList<TrendXView> Xs, IReadOnlyList<TrendSeriesView> Series, string None)
{
    public string TickX { get; init; } = "";
    public string TickBottom { get; init; } = "";
    public string DateY { get; init; } = "";
    public string NoneX { get; init; } = "";
    public string NoneY { get; init; } = "";
}

internal sealed record TrendTickView(string Y, string TextY, string Label);

/// <summary>A run's position on the x axis; <c>Labelled</c>: its date is written under it.</summary>
public sealed record TrendXView(int Run, string X, string Label, bool Labelled, string Title);

internal sealed record TrendSeriesView(string Severity, string Kind, string Dash, string Shape, string Polyline, IReadOnlyList<TrendPointView> Points, int Last)
{
    internal double LabelY { get; set; }
    public string EndY => Math.Round(LabelY + 4, 1).ToString("0.#", CultureInfo.InvariantCulture);
}

internal sealed record TrendPointView(int Run, int Value, string X, string Y, string Marker, string Title);

/// <summary>A run in the trend's table: every number of the chart, for reading and for print.</summary>
public sealed record TrendRowView(int Number, string CollectedAt, string FinishedAt, int Checks, int Fail, string FailText, int Error, string ErrorText, bool Current);
