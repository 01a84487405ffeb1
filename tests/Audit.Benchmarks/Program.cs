using System.Globalization;
using BenchmarkDotNet.Running;

namespace Audit.Benchmarks;

/// <summary>
/// <c>--whole-run [--sizes 10,100,1000,2500] [--vms-per-host 40] [--seed 1] [--dir artifacts/bench] [--rules rules]
/// [--repeat 5] [--cli audit.dll] [--baseline-cli OTHER/audit.dll] [--no-process] [--no-stages] [--no-startup]
/// [--startup-repeat 9] [--merge-shards 10] [--merge-hosts 1000]</c>: the pipeline stage by stage per estate size, the CLI
/// and the floor as separate processes, CLI start-up and snapshot merge (see <see cref="WholeRun"/>).
/// <c>--compare DIR_A DIR_B</c>: outputs of two runs byte for byte, run times masked (exit 2 when they differ).
/// Anything else goes to BenchmarkDotNet (e.g. <c>--filter *</c>) for the micro benchmarks in <see cref="PipelineBenchmarks"/>.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length >= 2 && args[0] == "--measure")
        {
            var rules = args.Length >= 4 && args[2] == "--rules" ? args[3] : WholeRun.FindUp("rules");
            return WholeRun.Measure(args[1], rules);
        }
        if (args.Length >= 2 && args[0] == "--floor")
        {
            return WholeRun.Floor(args[1]);
        }
        if (args.Length == 3 && args[0] == "--compare")
        {
            var differences = OutputCompare.Compare(args[1], args[2]);
            foreach (var d in differences)
            {
                Console.WriteLine(d);
            }
            Console.WriteLine(differences.Count == 0 ? $"identical: {string.Join(", ", OutputCompare.Files)} (run times masked)" : $"{differences.Count} file(s) differ");
            return differences.Count == 0 ? 0 : 2;
        }
        if (args.Contains("--whole-run"))
        {
            var o = new WholeRunOptions { Dir = Path.Combine(RepoRoot(), "artifacts", "bench"), Rules = WholeRun.FindUp("rules") };
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                o = args[i] switch
                {
                    "--whole-run" => o,
                    "--sizes" => o with { Sizes = [.. Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] },
                    "--vms-per-host" => o with { VmsPerHost = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--seed" => o with { Seed = ulong.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--dir" => o with { Dir = Path.GetFullPath(Next()) },
                    "--rules" => o with { Rules = Path.GetFullPath(Next()) },
                    "--no-process" => o with { Process = false },
                    "--repeat" => o with { Repeat = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--no-stages" => o with { Stages = false },
                    "--no-startup" => o with { Startup = false },
                    "--startup-repeat" => o with { StartupRepeat = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--cli" => o with { Cli = Path.GetFullPath(Next()) },
                    "--baseline-cli" => o with { BaselineCli = Path.GetFullPath(Next()) },
                    "--merge-shards" => o with { MergeShards = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--merge-hosts" => o with { MergeHosts = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }
            return WholeRun.Execute(o);
        }
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }

    private static string RepoRoot() => Path.GetDirectoryName(WholeRun.FindUp("Audit.sln"))!;
}
