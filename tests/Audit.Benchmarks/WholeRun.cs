using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Audit.Cli;
using Audit.Core;
using Audit.Generator;
using Audit.Reports;
using Audit.Rules.Compilation;
using Audit.Rules.Evaluation;

namespace Audit.Benchmarks;

/// <summary>One measured pipeline run over one estate (printed by the child process as one JSON line).</summary>
public sealed record Measurement
{
    public string Estate { get; init; } = "";
    public int Hosts { get; init; }
    public int Vms { get; init; }
    public long FileBytes { get; init; }
    public double FloorMs { get; init; }
    public double LoadMs { get; init; }
    public double CompileMs { get; init; }
    public double EvaluateMs { get; init; }
    public double EvaluateCpuMs { get; init; }
    public Dictionary<string, double> OutputMs { get; init; } = [];
    public Dictionary<string, long> OutputBytes { get; init; } = [];
    public double TotalMs { get; init; }
    public long Verdicts { get; init; }
    public int Rules { get; init; }
    public long PeakWorkingSetBytes { get; init; }
    public long AllocatedBytes { get; init; }
    /// <summary>Median wall time of <c>audit evaluate</c> (every output) as a separate process.</summary>
    public double ProcessMs { get; init; }
    public int ProcessExit { get; init; }
    /// <summary>Median wall time of a separate process that only reads and deserialises the snapshot (the floor, cold, like for like with <see cref="ProcessMs"/>).</summary>
    public double FloorProcessMs { get; init; }
}

/// <summary>
/// The whole-run benchmark: for each estate size, a fresh child process (so peak memory is that run's own) measures the
/// plain System.Text.Json deserialisation of the snapshot (the floor), then the pipeline stage by stage; then the parent
/// times <c>audit evaluate</c> end to end as a separate process.
/// </summary>
public static class WholeRun
{
    private static readonly JsonSerializerOptions Line = new() { WriteIndented = false };

    public static int Execute(WholeRunOptions o)
    {
        Directory.CreateDirectory(o.Dir);
        var rows = new List<Measurement>();
        foreach (var hosts in o.Sizes)
        {
            var estate = Path.Combine(o.Dir, $"estate-{hosts}x{o.VmsPerHost}-seed{o.Seed}.json");
            if (!File.Exists(estate))
            {
                var sw = Stopwatch.StartNew();
                var generated = EstateGenerator.Generate(new GeneratorOptions { Hosts = hosts, VmsPerHost = o.VmsPerHost, Seed = o.Seed, ViolationRate = 0.05 });
                AtomicFile.Write(estate, s => EstateGenerator.Write(generated.Snapshot, s));
                Console.Error.WriteLine($"generated {estate} in {sw.Elapsed.TotalSeconds:F1} s");
            }
            var m = RunChild(estate, o);
            if (m is null)
            {
                return 1;
            }
            if (o.Process)
            {
                // Alternated and repeated, medians kept: this machine is shared and noisy.
                var audit = new List<double>();
                var floor = new List<double>();
                var exit = 0;
                for (var i = 0; i < Math.Max(1, o.Repeat); i++)
                {
                    floor.Add(TimeFloorProcess(estate));
                    audit.Add(TimeAuditProcess(estate, o, out exit));
                }
                m = m with { ProcessMs = Median(audit), ProcessExit = exit, FloorProcessMs = Median(floor) };
            }
            rows.Add(m);
            Console.Error.WriteLine(JsonSerializer.Serialize(m, Line));
        }
        Print(rows, o);
        return 0;
    }

    private static Measurement? RunChild(string estate, WholeRunOptions o)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(typeof(WholeRun).Assembly.Location);
        psi.ArgumentList.Add("--measure");
        psi.ArgumentList.Add(estate);
        psi.ArgumentList.Add("--rules");
        psi.ArgumentList.Add(o.Rules);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
        if (p.ExitCode != 0 || last is null)
        {
            Console.Error.WriteLine($"measuring {estate} failed (exit {p.ExitCode}):\n{output}");
            return null;
        }
        return JsonSerializer.Deserialize<Measurement>(last);
    }

    private static double Median(List<double> xs)
    {
        xs.Sort();
        return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[(xs.Count / 2) - 1] + xs[xs.Count / 2]) / 2;
    }

    private static double TimeFloorProcess(string estate)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        psi.ArgumentList.Add(typeof(WholeRun).Assembly.Location);
        psi.ArgumentList.Add("--floor");
        psi.ArgumentList.Add(estate);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"floor process failed on {estate} (exit {p.ExitCode})");
        }
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>The floor as a process: read the file and deserialise it with System.Text.Json, nothing else.</summary>
    public static int Floor(string estate)
    {
        var snapshot = JsonSerializer.Deserialize<Snapshot>(File.ReadAllBytes(estate), AuditJson.Options);
        return snapshot is null ? 1 : 0;
    }

    private static double TimeAuditProcess(string estate, WholeRunOptions o, out int exit)
    {
        var outDir = Path.Combine(o.Dir, "out-process");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(typeof(AuditRunner).Assembly.Location);
        foreach (var a in new[] { "evaluate", "--snapshot", estate, "--rules", o.Rules, "--out", outDir, "--quiet", "--max-input-mb", "4096" })
        {
            psi.ArgumentList.Add(a);
        }
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        exit = p.ExitCode;
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>The child: one estate, stage by stage.</summary>
    public static int Measure(string estate, string rules)
    {
        // Warm up the JIT on the bundled sample so neither the floor nor the pipeline pays first-call costs for the other.
        var sample = FindUp(Path.Combine("samples", "estate.snapshot.json"));
        _ = JsonSerializer.Deserialize<Snapshot>(File.ReadAllBytes(sample), AuditJson.Options);
        var warm = SnapshotLoader.Load(sample);
        var warmRules = RuleSetLoader.Load([rules]);
        _ = Evaluator.Evaluate(warmRules.Catalog!, warm);
        warm = null;
        warmRules = null;
        Collect();

        var sw = Stopwatch.StartNew();
        var bytes = File.ReadAllBytes(estate);
        var plain = JsonSerializer.Deserialize<Snapshot>(bytes, AuditJson.Options)!;
        var floor = sw.Elapsed.TotalMilliseconds;
        var hosts = plain.Hosts.Count;
        var vms = plain.Hosts.Sum(h => h.Vms?.Count ?? 0);
        plain = null;
        bytes = null;
        Collect();

        var allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        var total = Stopwatch.StartNew();
        sw.Restart();
        var loaded = SnapshotLoader.Load(estate, new LoadOptions { MaxBytes = 4L << 30 });
        var load = sw.Elapsed.TotalMilliseconds;

        sw.Restart();
        var catalog = RuleSetLoader.Load([rules]).Catalog ?? throw new InvalidOperationException("rules do not load");
        var compile = sw.Elapsed.TotalMilliseconds;

        var me = Process.GetCurrentProcess();
        var cpu0 = me.TotalProcessorTime;
        sw.Restart();
        var results = Evaluator.Evaluate(catalog, loaded, new EvaluationOptions { SnapshotPath = estate });
        var evaluate = sw.Elapsed.TotalMilliseconds;
        me.Refresh();
        var cpu = (me.TotalProcessorTime - cpu0).TotalMilliseconds;

        // Every file format the CLI knows is timed on its own: a renderer added to ReportWriter shows up here by itself.
        var outDir = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(estate))!, "out-measure");
        Directory.CreateDirectory(outDir);
        var outputMs = new Dictionary<string, double>();
        var outputBytes = new Dictionary<string, long>();
        foreach (var (format, flag) in OutputFormatNames.All.Where(f => f.Format != OutputFormats.Console))
        {
            sw.Restart();
            var written = ReportWriter.Write(results, flag, outDir);
            var ms = sw.Elapsed.TotalMilliseconds;
            if (written.Count > 0)
            {
                outputMs[format] = ms;
                outputBytes[format] = written.Sum(w => new FileInfo(Path.Combine(outDir, w)).Length);
            }
        }
        var totalMs = total.Elapsed.TotalMilliseconds;
        me.Refresh();
        var m = new Measurement
        {
            Estate = Path.GetFileName(estate),
            Hosts = hosts,
            Vms = vms,
            FileBytes = new FileInfo(estate).Length,
            FloorMs = floor,
            LoadMs = load,
            CompileMs = compile,
            EvaluateMs = evaluate,
            EvaluateCpuMs = cpu,
            OutputMs = outputMs,
            OutputBytes = outputBytes,
            TotalMs = totalMs,
            Verdicts = results.Results.Count,
            Rules = catalog.Rules.Count,
            PeakWorkingSetBytes = me.PeakWorkingSet64,
            AllocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - allocated0,
        };
        GC.KeepAlive(loaded);
        Console.WriteLine(JsonSerializer.Serialize(m, Line));
        return 0;
    }

    private static void Collect()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    internal static string FindUp(string relative)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate) || Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new FileNotFoundException($"{relative} not found above the current folder");
    }

    private static string Written(Measurement r, string format) =>
        r.OutputMs.TryGetValue(format, out var ms)
            ? string.Create(CultureInfo.InvariantCulture, $"{ms / 1000:F2} ({r.OutputBytes[format] / 1048576.0:F1} MiB)")
            : "-";

    private static void Print(List<Measurement> rows, WholeRunOptions o)
    {
        static string S(double ms) => (ms / 1000).ToString("F2", CultureInfo.InvariantCulture);
        var formats = rows.SelectMany(r => r.OutputMs.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var header = new List<string> { "hosts", "VMs", "file MiB", "floor s", "load+schema s", "compile s", "evaluate s", "eval cpu/wall" };
        header.AddRange(formats.Select(f => $"write {f} s"));
        header.AddRange(["total s", "total/floor", "peak MiB", "verdicts", "verdicts/s"]);
        if (o.Process)
        {
            header.AddRange(["floor process s", "audit evaluate s", "evaluate/floor process", "evaluate/floor in-process", "exit"]);
        }
        var lines = new List<string[]> { header.ToArray() };
        foreach (var r in rows)
        {
            var cells = new List<string>
            {
                r.Hosts.ToString(CultureInfo.InvariantCulture),
                r.Vms.ToString(CultureInfo.InvariantCulture),
                (r.FileBytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture),
                S(r.FloorMs), S(r.LoadMs), S(r.CompileMs), S(r.EvaluateMs),
                (r.EvaluateCpuMs / Math.Max(1, r.EvaluateMs)).ToString("F2", CultureInfo.InvariantCulture),
            };
            cells.AddRange(formats.Select(f => Written(r, f)));
            cells.AddRange(
            [
                S(r.TotalMs),
                (r.TotalMs / r.FloorMs).ToString("F1", CultureInfo.InvariantCulture),
                (r.PeakWorkingSetBytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture),
                r.Verdicts.ToString(CultureInfo.InvariantCulture),
                (r.Verdicts / (r.EvaluateMs / 1000)).ToString("F0", CultureInfo.InvariantCulture),
            ]);
            if (o.Process)
            {
                cells.AddRange(
                [
                    S(r.FloorProcessMs), S(r.ProcessMs),
                    (r.ProcessMs / r.FloorProcessMs).ToString("F2", CultureInfo.InvariantCulture),
                    (r.ProcessMs / r.FloorMs).ToString("F2", CultureInfo.InvariantCulture),
                    r.ProcessExit.ToString(CultureInfo.InvariantCulture),
                ]);
            }
            lines.Add([.. cells]);
        }
        var widths = Enumerable.Range(0, lines[0].Length).Select(i => lines.Max(l => l[i].Length)).ToArray();
        Console.WriteLine($"Whole run: {rows.FirstOrDefault()?.Rules} rules, {o.VmsPerHost} VMs per host, seed {o.Seed}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine("| " + string.Join(" | ", lines[0].Select((c, i) => c.PadRight(widths[i]))) + " |");
        Console.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var l in lines.Skip(1))
        {
            Console.WriteLine("| " + string.Join(" | ", l.Select((c, i) => c.PadLeft(widths[i]))) + " |");
        }
        Console.WriteLine("floor = File.ReadAllBytes + JsonSerializer.Deserialize<Snapshot> of the same file; total = load+schema + compile + evaluate + writes, in-process;");
        Console.WriteLine("peak = Process.PeakWorkingSet64 of the measuring process; 'audit evaluate' = the CLI as a separate process, end to end, every output;");
        Console.WriteLine("'floor process' = a separate process that only reads and deserialises the file; process times are medians of --repeat runs, alternated.");
    }
}

public sealed record WholeRunOptions
{
    public IReadOnlyList<int> Sizes { get; init; } = [10, 100, 1000, 2500];
    public int VmsPerHost { get; init; } = 40;
    public ulong Seed { get; init; } = 1;
    public string Dir { get; init; } = "artifacts/bench";
    public string Rules { get; init; } = "rules";
    public bool Process { get; init; } = true;
    public int Repeat { get; init; } = 3;
}
