using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Audit.Cli;
using Audit.Core;
using Audit.Generator;
using Audit.Reports;
using Audit.Rules.Compilation;
using Audit.Rules.Evaluation;
using Audit.Core.Loading;
using Audit.Core.Snapshots;

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
        var processRows = new List<ProcessRow>();
        var identical = true;
        if (!ProcessRun.HasGnuTime)
        {
            Console.Error.WriteLine("note: /usr/bin/time (Debian package 'time') is missing: no CPU time or peak RSS for the separate processes");
        }
        foreach (var hosts in o.Sizes)
        {
            EnsureEstate(hosts, o);
        }
        var startup = o.Startup ? MeasureStartup(o, ref identical) : [];
        foreach (var hosts in o.Sizes)
        {
            var estate = EstatePath(hosts, o);
            var m = new Measurement { Estate = Path.GetFileName(estate), FileBytes = new FileInfo(estate).Length };
            if (o.Stages)
            {
                m = RunChild(estate, o);
                if (m is null)
                {
                    return 1;
                }
                rows.Add(m);
                Console.Error.WriteLine(JsonSerializer.Serialize(m, Line));
            }
            if (o.Process)
            {
                var row = MeasureProcesses(hosts, estate, o);
                processRows.Add(row);
                identical &= row.Differences is not { Count: > 0 };
            }
        }
        var merge = o.MergeShards > 0 ? MeasureMerge(o) : null;
        if (rows.Count > 0)
        {
            Print(rows, o);
        }
        PrintProcesses(processRows, startup, merge, o);
        return identical ? 0 : 2;
    }

    private static string EstatePath(int hosts, WholeRunOptions o) => Path.Combine(o.Dir, $"estate-{hosts}x{o.VmsPerHost}-seed{o.Seed}.json");

    /// <summary>Generates the estate once (same options, same bytes); later runs reuse the file.</summary>
    private static string EnsureEstate(int hosts, WholeRunOptions o)
    {
        var estate = EstatePath(hosts, o);
        if (!File.Exists(estate))
        {
            var sw = Stopwatch.StartNew();
            var generated = EstateGenerator.Generate(new GeneratorOptions { Hosts = hosts, VmsPerHost = o.VmsPerHost, Seed = o.Seed, ViolationRate = 0.05 });
            AtomicFile.Write(estate, s => EstateGenerator.Write(generated.Snapshot, s));
            Console.Error.WriteLine($"generated {estate} in {sw.Elapsed.TotalSeconds:F1} s");
            generated = null;
            Collect();
        }
        return estate;
    }

    private static readonly Dictionary<string, string> Reproducible = new() { ["SOURCE_DATE_EPOCH"] = "1764547200" };

    /// <summary>The floor process, the CLI and (if given) the baseline CLI on one estate, alternated; then their outputs compared.</summary>
    private static ProcessRow MeasureProcesses(int hosts, string estate, WholeRunOptions o)
    {
        var floor = new SampleSet("floor");
        var cli = new SampleSet("audit evaluate");
        var baseline = new SampleSet("baseline audit evaluate");
        var outCli = Path.Combine(o.Dir, $"out-{hosts}-cli");
        var outBaseline = Path.Combine(o.Dir, $"out-{hosts}-baseline");
        ProcessSample Evaluate(string build, string outDir) => ProcessRun.Run(
            ProcessRun.Command(build, "evaluate", "--snapshot", estate, "--rules", o.Rules, "--out", outDir, "--quiet", "--max-input-mb", "8192"),
            environment: Reproducible);
        var commands = new List<(SampleSet, Func<ProcessSample>)>
        {
            (floor, () => ProcessRun.Run(["dotnet", typeof(WholeRun).Assembly.Location, "--floor", estate])),
            (cli, () => Evaluate(o.Cli, outCli)),
        };
        if (o.BaselineCli is not null)
        {
            commands.Add((baseline, () => Evaluate(o.BaselineCli, outBaseline)));
        }
        ProcessRun.Alternate(Math.Max(1, o.Repeat), commands);
        var differences = o.BaselineCli is null ? null : OutputCompare.Compare(outBaseline, outCli);
        foreach (var d in differences ?? [])
        {
            Console.Error.WriteLine($"{hosts} hosts: outputs differ: {d}");
        }
        var row = new ProcessRow(hosts, new FileInfo(estate).Length, floor, cli, o.BaselineCli is null ? null : baseline, differences);
        Console.Error.WriteLine($"{hosts} hosts: floor {floor.Wall.Format(1000)} s, audit evaluate {cli.Wall.Format(1000)} s" +
            (o.BaselineCli is null ? "" : $", baseline {baseline.Wall.Format(1000)} s, outputs {(differences!.Count == 0 ? "identical" : "DIFFER")}"));
        return row;
    }

    /// <summary>'CLI start-up': the bundled sample through 'audit run', and 'audit --version', for each build.</summary>
    private static List<(string Build, SampleSet Set)> MeasureStartup(WholeRunOptions o, ref bool identical)
    {
        var root = Path.GetDirectoryName(FindUp("Audit.sln"))!;
        var builds = new List<(string Label, string Cli)> { ("cli", o.Cli) };
        if (o.BaselineCli is not null)
        {
            builds.Add(("baseline", o.BaselineCli));
        }
        var sets = new List<(string Build, SampleSet Set)>();
        var commands = new List<(SampleSet, Func<ProcessSample>)>();
        foreach (var (label, build) in builds)
        {
            var run = new SampleSet("audit run (sample)");
            var version = new SampleSet("audit --version");
            var outDir = Path.Combine(o.Dir, $"out-sample-{label}");
            commands.Add((run, () => ProcessRun.Run(ProcessRun.Command(build, "run", "--out", outDir, "--quiet"), root, Reproducible)));
            commands.Add((version, () => ProcessRun.Run(ProcessRun.Command(build, "--version"), root)));
            sets.Add((label, run));
            sets.Add((label, version));
        }
        // One unmeasured round first: the first start after a build reads every file from disk.
        foreach (var (_, run) in commands)
        {
            run();
        }
        ProcessRun.Alternate(Math.Max(1, o.StartupRepeat), commands);
        if (o.BaselineCli is not null)
        {
            var differences = OutputCompare.Compare(Path.Combine(o.Dir, "out-sample-baseline"), Path.Combine(o.Dir, "out-sample-cli"));
            foreach (var d in differences)
            {
                Console.Error.WriteLine($"sample: outputs differ: {d}");
            }
            identical &= differences.Count == 0;
        }
        return sets;
    }

    /// <summary>
    /// 'audit snapshot merge' of shards: the estate of MergeShards x MergeHosts hosts cut into MergeShards snapshots of
    /// consecutive hosts (the directory in the first, as one job per site plus one directory collection would give).
    /// </summary>
    private static SampleSet MeasureMerge(WholeRunOptions o)
    {
        var total = o.MergeShards * o.MergeHosts;
        var shardDir = Path.Combine(o.Dir, $"shards-{o.MergeShards}x{o.MergeHosts}x{o.VmsPerHost}-seed{o.Seed}");
        var shards = Enumerable.Range(0, o.MergeShards).Select(i => Path.Combine(shardDir, $"shard-{i:D2}.json")).ToList();
        if (!shards.TrueForAll(File.Exists))
        {
            var whole = EnsureEstate(total, o);
            var snapshot = JsonSerializer.Deserialize<Snapshot>(File.ReadAllBytes(whole), AuditJson.Options)!;
            Directory.CreateDirectory(shardDir);
            var per = (snapshot.Hosts.Count + o.MergeShards - 1) / o.MergeShards;
            for (var i = 0; i < o.MergeShards; i++)
            {
                var shard = snapshot with { Hosts = [.. snapshot.Hosts.Skip(i * per).Take(per)], Directory = i == 0 ? snapshot.Directory : null };
                AtomicFile.Write(shards[i], s => EstateGenerator.Write(shard, s));
            }
            snapshot = null;
            Collect();
            Console.Error.WriteLine($"cut {whole} into {o.MergeShards} shards in {shardDir}");
        }
        var merged = Path.Combine(o.Dir, "merged.json");
        var set = new SampleSet($"audit snapshot merge ({o.MergeShards} shards of {o.MergeHosts} hosts)");
        ProcessRun.Alternate(Math.Max(1, o.Repeat), [(set, () => ProcessRun.Run(ProcessRun.Command(o.Cli, ["snapshot", "merge", .. shards, "--out", merged])))]);
        Console.Error.WriteLine($"{set.Label}: {set.Wall.Format(1000)} s, {new FileInfo(merged).Length / 1048576.0:F0} MiB written");
        return set;
    }

    private static void PrintProcesses(List<ProcessRow> rows, List<(string Build, SampleSet Set)> startup, SampleSet? merge, WholeRunOptions o)
    {
        static string Mib(Spread s) => s.Format(1048576, "F0");
        var table = new List<string[]>();
        var header = new List<string> { "hosts", "file MiB", "floor s", "floor MiB", "audit evaluate s", "cpu s", "peak MiB", "evaluate/floor" };
        if (o.BaselineCli is not null)
        {
            header.AddRange(["baseline s", "baseline cpu s", "baseline MiB", "baseline/floor", "outputs"]);
        }
        table.Add([.. header]);
        foreach (var r in rows)
        {
            var cells = new List<string>
            {
                r.Hosts.ToString(CultureInfo.InvariantCulture), (r.FileBytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture),
                r.Floor.Wall.Format(1000), Mib(r.Floor.Rss), r.Cli.Wall.Format(1000), r.Cli.Cpu.Format(1000), Mib(r.Cli.Rss),
                (r.Cli.Wall.Median / r.Floor.Wall.Median).ToString("F2", CultureInfo.InvariantCulture),
            };
            if (r.Baseline is { } b)
            {
                cells.AddRange([b.Wall.Format(1000), b.Cpu.Format(1000), Mib(b.Rss), (b.Wall.Median / r.Floor.Wall.Median).ToString("F2", CultureInfo.InvariantCulture),
                    r.Differences is { Count: 0 } ? "identical" : "DIFFER"]);
            }
            table.Add([.. cells]);
        }
        if (rows.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"Separate processes ({Math.Max(1, o.Repeat)} alternated runs each, median (min-max); {o.VmsPerHost} VMs per host, seed {o.Seed}, {Environment.ProcessorCount} cores):");
            WriteTable(table);
        }
        if (startup.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"CLI start-up ({Math.Max(1, o.StartupRepeat)} alternated runs each, median (min-max), after one unmeasured round):");
            var s = new List<string[]> { new[] { "command", "build", "wall s", "cpu s", "peak MiB" } };
            s.AddRange(startup.Select(x => new[] { x.Set.Label, x.Build, x.Set.Wall.Format(1000), x.Set.Cpu.Format(1000), Mib(x.Set.Rss) }));
            WriteTable(s);
        }
        if (merge is not null)
        {
            Console.WriteLine();
            WriteTable([["command", "wall s", "cpu s", "peak MiB"], [merge.Label, merge.Wall.Format(1000), merge.Cpu.Format(1000), Mib(merge.Rss)]]);
        }
        Console.WriteLine($"cli = {o.Cli}{(o.BaselineCli is null ? "" : $"; baseline = {o.BaselineCli}")}; floor = a process that only reads and deserialises the snapshot;");
        Console.WriteLine("cpu = user + system time of the process, peak = its maximum resident set size (GNU time); outputs = results.json, junit.xml and report.html of the two builds compared byte for byte, run times masked.");
    }

    private static void WriteTable(List<string[]> lines)
    {
        var widths = Enumerable.Range(0, lines[0].Length).Select(i => lines.Max(l => l[i].Length)).ToArray();
        Console.WriteLine("| " + string.Join(" | ", lines[0].Select((c, i) => c.PadRight(widths[i]))) + " |");
        Console.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var l in lines.Skip(1))
        {
            Console.WriteLine("| " + string.Join(" | ", l.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))) + " |");
        }
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

    /// <summary>The floor as a process: read the file and deserialise it with System.Text.Json, nothing else.</summary>
    public static int Floor(string estate)
    {
        var snapshot = JsonSerializer.Deserialize<Snapshot>(File.ReadAllBytes(estate), AuditJson.Options);
        return snapshot is null ? 1 : 0;
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
        var allocs = new List<string>();
        var mark = allocated0;
        void Allocated(string stage)
        {
            var now = GC.GetTotalAllocatedBytes(precise: true);
            allocs.Add(string.Create(CultureInfo.InvariantCulture, $"{stage} {(now - mark) / 1048576.0:F0} MiB ({GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} GCs)"));
            mark = now;
        }
        Allocated("load");

        sw.Restart();
        var catalog = RuleSetLoader.Load([rules]).Catalog ?? throw new InvalidOperationException("rules do not load");
        var compile = sw.Elapsed.TotalMilliseconds;
        Allocated("compile");

        var me = Process.GetCurrentProcess();
        var cpu0 = me.TotalProcessorTime;
        sw.Restart();
        var results = Evaluator.Evaluate(catalog, loaded, new EvaluationOptions { SnapshotPath = estate });
        var evaluate = sw.Elapsed.TotalMilliseconds;
        Allocated("evaluate");
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
            Allocated(format);
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
        Console.Error.WriteLine($"{Path.GetFileName(estate)}: allocated by stage (GC counts gen0/gen1/gen2 so far): " + string.Join(", ", allocs));
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
            lines.Add([.. cells]);
        }
        var widths = Enumerable.Range(0, lines[0].Length).Select(i => lines.Max(l => l[i].Length)).ToArray();
        Console.WriteLine($"Stages in-process: {rows.FirstOrDefault()?.Rules} rules, {o.VmsPerHost} VMs per host, seed {o.Seed}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine("| " + string.Join(" | ", lines[0].Select((c, i) => c.PadRight(widths[i]))) + " |");
        Console.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var l in lines.Skip(1))
        {
            Console.WriteLine("| " + string.Join(" | ", l.Select((c, i) => c.PadLeft(widths[i]))) + " |");
        }
        Console.WriteLine("floor = File.ReadAllBytes + JsonSerializer.Deserialize<Snapshot> of the same file; total = load+schema + compile + evaluate + writes, in-process;");
        Console.WriteLine("peak = Process.PeakWorkingSet64 of the measuring process (which also held the floor's document before).");
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
    public int Repeat { get; init; } = 5;
    /// <summary>Run the in-process child that times each stage (doubles the time of a size).</summary>
    public bool Stages { get; init; } = true;
    /// <summary>The CLI build timed: audit.dll (run with dotnet) or an executable.</summary>
    public string Cli { get; init; } = typeof(AuditRunner).Assembly.Location;
    /// <summary>A second build, alternated with <see cref="Cli"/>; outputs of the two are compared.</summary>
    public string? BaselineCli { get; init; }
    public bool Startup { get; init; } = true;
    public int StartupRepeat { get; init; } = 9;
    /// <summary>'audit snapshot merge' of this many shards of <see cref="MergeHosts"/> hosts (0: not measured).</summary>
    public int MergeShards { get; init; }
    public int MergeHosts { get; init; } = 1000;
}

/// <summary>One estate size measured as separate processes.</summary>
public sealed record ProcessRow(int Hosts, long FileBytes, SampleSet Floor, SampleSet Cli, SampleSet? Baseline, List<string>? Differences);
