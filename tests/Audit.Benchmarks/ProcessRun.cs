using System.Diagnostics;
using System.Globalization;

namespace Audit.Benchmarks;

/// <summary>One whole-process run: wall time, CPU time (user + system) and peak resident set size.</summary>
public sealed record ProcessSample(double WallMs, double CpuMs, long PeakRssBytes, int Exit);

/// <summary>Median, minimum and maximum of one quantity over the repeated runs.</summary>
public sealed record Spread(double Median, double Min, double Max)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var xs = values.Order().ToList();
        if (xs.Count == 0)
        {
            return new Spread(double.NaN, double.NaN, double.NaN);
        }
        var median = xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[(xs.Count / 2) - 1] + xs[xs.Count / 2]) / 2;
        return new Spread(median, xs[0], xs[^1]);
    }

    /// <summary>"1.23 (1.20-1.31)" in the given unit (1000 for ms -> s).</summary>
    public string Format(double divisor, string format = "F2")
    {
        string F(double v) => double.IsNaN(v) ? "-" : (v / divisor).ToString(format, CultureInfo.InvariantCulture);
        return $"{F(Median)} ({F(Min)}-{F(Max)})";
    }
}

/// <summary>The samples of one command repeated N times.</summary>
public sealed class SampleSet(string label)
{
    public string Label { get; } = label;
    public List<ProcessSample> Samples { get; } = [];
    public Spread Wall => Spread.Of(Samples.Select(s => s.WallMs));
    public Spread Cpu => Spread.Of(Samples.Select(s => s.CpuMs));
    public Spread Rss => Spread.Of(Samples.Where(s => s.PeakRssBytes > 0).Select(s => (double)s.PeakRssBytes));
    public int Exit => Samples.Count > 0 ? Samples[^1].Exit : -1;
}

/// <summary>
/// Starts a command as a separate process and measures it. Where GNU time is installed (<c>/usr/bin/time</c>, Debian
/// package <c>time</c>) the child runs under it, which reports the child's own user and system CPU time and peak RSS
/// (wait4's rusage); wall time is always the parent's stopwatch around the whole process.
/// </summary>
public static class ProcessRun
{
    private const string GnuTime = "/usr/bin/time";

    public static bool HasGnuTime { get; } = File.Exists(GnuTime);

    /// <summary>A CLI build to run: a .dll (run with dotnet) or an executable (run directly).</summary>
    public static IReadOnlyList<string> Command(string cli, params string[] args) =>
        cli.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ["dotnet", cli, .. args] : [cli, .. args];

    public static ProcessSample Run(IReadOnlyList<string> command, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var stats = HasGnuTime ? Path.Combine(Path.GetTempPath(), $"audit-bench-{Environment.ProcessId}-{Guid.NewGuid():N}.time") : null;
        var psi = new ProcessStartInfo(stats is null ? command[0] : GnuTime)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        if (stats is not null)
        {
            foreach (var a in new[] { "-f", "%U %S %M", "-o", stats, command[0] })
            {
                psi.ArgumentList.Add(a);
            }
        }
        foreach (var a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        var wall = sw.Elapsed.TotalMilliseconds;
        var exit = p.ExitCode;
        if (exit is not (0 or 1))
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} exited {exit}:\n{stdout.Result}\n{stderr.Result}");
        }
        double cpu = 0;
        long rss = 0;
        if (stats is not null)
        {
            // The last line is ours (earlier ones are GNU time's own notes, e.g. "Command exited with non-zero status 1").
            var line = File.ReadAllLines(stats).Last(l => l.Length > 0).Split(' ');
            cpu = (double.Parse(line[0], CultureInfo.InvariantCulture) + double.Parse(line[1], CultureInfo.InvariantCulture)) * 1000;
            rss = long.Parse(line[2], CultureInfo.InvariantCulture) * 1024;
            File.Delete(stats);
        }
        return new ProcessSample(wall, cpu, rss, exit);
    }

    /// <summary>
    /// Runs each command once per round, rounds repeated <paramref name="repeat"/> times, the order rotated every round
    /// (floor, A, B; then A, B, floor; ...) so no command always runs first or last on a shared machine.
    /// </summary>
    public static void Alternate(int repeat, IReadOnlyList<(SampleSet Set, Func<ProcessSample> Run)> commands)
    {
        for (var round = 0; round < repeat; round++)
        {
            for (var j = 0; j < commands.Count; j++)
            {
                var (set, run) = commands[(round + j) % commands.Count];
                set.Samples.Add(run());
            }
        }
    }
}
