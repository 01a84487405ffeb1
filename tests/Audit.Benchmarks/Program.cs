using System.Globalization;
using BenchmarkDotNet.Running;

namespace Audit.Benchmarks;

/// <summary>
/// <c>--whole-run [--sizes 10,100,1000,2500] [--vms-per-host 40] [--seed 1] [--dir artifacts/bench] [--rules rules] [--no-process] [--repeat 3]</c>:
/// the pipeline stage by stage per estate size (see <see cref="WholeRun"/>). Anything else goes to BenchmarkDotNet
/// (e.g. <c>--filter *</c>) for the micro benchmarks in <see cref="PipelineBenchmarks"/>.
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
