using System.CommandLine;
using System.Globalization;
using Audit.Core;
using Audit.Generator;

namespace Audit.Cli;

/// <summary><c>audit generate</c>: writes a synthetic, deterministic estate snapshot (for trying rules at scale and for benchmarks).</summary>
internal static class GenerateCommand
{
    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("generate", """
            Write a realistic synthetic estate snapshot: 2012 / 2012 R2 / 2016 / 2019 Hyper-V clusters and stand-alone hosts (one in ten), guests from XP and 2003 to 2019, hotfix lists, delegation entries for every ordered pair of cluster nodes, ScheduledDefrag tasks, VHD/VHDX disks, SMB, plus two domain controllers. A healthy estate passes every shipped rule; --violation-rate makes that share of the entities each rule applies to violate it.
            The same options and seed give a byte-identical file.
            """);
        var hosts = new Option<int>("--hosts") { Description = "Number of Hyper-V hosts (two domain controllers are added).", Required = true, HelpName = "N" };
        var vms = new Option<int>("--vms-per-host") { Description = "VMs on each Hyper-V host.", Required = true, HelpName = "N" };
        var clusters = new Option<int?>("--clusters") { Description = "Failover clusters for the clustered hosts. [default: one per 16 hosts]", HelpName = "N" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the pseudo-random choices.", DefaultValueFactory = _ => 1UL, HelpName = "N" };
        var rate = new Option<double>("--violation-rate") { Description = "Share 0..1 of the entities each rule applies to that violate it.", DefaultValueFactory = _ => 0.05, HelpName = "RATE" };
        var errorRate = new Option<double>("--error-rate") { Description = "Share 0..1 of Hyper-V hosts whose hotfix collection failed (error verdicts).", DefaultValueFactory = _ => 0.0, HelpName = "RATE" };
        var output = new Option<string>("--out") { Description = "Snapshot file to write.", Required = true, HelpName = "FILE" };
        foreach (var o in new Option[] { hosts, vms, clusters, seed, rate, errorRate, output })
        {
            cmd.Options.Add(o);
        }
        GeneratorOptions Options(System.CommandLine.Parsing.SymbolResult r) => new()
        {
            Hosts = OptionChecks.ValueOf(r, hosts),
            VmsPerHost = OptionChecks.ValueOf(r, vms),
            Clusters = OptionChecks.ValueOf(r, clusters),
            Seed = OptionChecks.ValueOf(r, seed),
            ViolationRate = OptionChecks.ValueOf(r, rate),
            ErrorRate = OptionChecks.ValueOf(r, errorRate),
        };
        OptionChecks.Validate(cmd, r =>
        {
            // Without a required option the parser's own error says so; the ranges are checked once both are given.
            if (r.GetResult(hosts) is not null && r.GetResult(vms) is not null && Options(r).Problems() is { Count: > 0 } problems)
            {
                r.AddError(string.Join("; ", problems));
            }
        });
        cmd.SetAction(r =>
        {
            var options = Options(r.CommandResult);
            var path = ctx.Env.Resolve(r.GetValue(output)!);
            var dir = Path.GetDirectoryName(path)!;
            try
            {
                AtomicFile.EnsureWritableDirectory(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot write to '{r.GetValue(output)}': {e.Message}");
            }
            var estate = EstateGenerator.Generate(options);
            AtomicFile.Write(path, s => EstateGenerator.Write(estate.Snapshot, s));
            var snap = estate.Snapshot;
            var vmCount = snap.Hosts.Sum(h => h.Vms?.Count ?? 0);
            var size = new FileInfo(path).Length;
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Wrote {r.GetValue(output)}: {snap.Hosts.Count} hosts, {vmCount} VMs, {snap.Directory?.Computers.Count ?? 0} computers, {size / 1048576.0:F1} MiB (seed {options.Seed})"));
            if (estate.Injected.Count > 0)
            {
                ctx.Out.WriteLine("Injected: " + string.Join(", ", estate.Injected.Select(kv => $"{kv.Key} {kv.Value}")));
            }
            return ExitCodes.Compliant;
        });
        return cmd;
    }
}
