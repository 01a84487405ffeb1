using System.Text;
using System.Text.Json;
using Audit.Core;
using Audit.Generator;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Audit.Rules.Compilation;
using Audit.Rules.Evaluation;
using Audit.Core.Loading;
using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Benchmarks;

/// <summary>Micro benchmarks of each pipeline stage over a generated estate (100 hosts x 40 VMs by default), in process.</summary>
[Config(typeof(PipelineBenchmarkConfig))]
public class PipelineBenchmarks
{
    private byte[] _utf8 = [];
    private string _text = "";
    private LoadedJson<Snapshot>? _loaded;
    private RuleCatalog? _catalog;
    private string _rules = "";

    [Params(100)]
    public int Hosts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        using var ms = new MemoryStream();
        EstateGenerator.Write(EstateGenerator.Generate(new GeneratorOptions { Hosts = Hosts, VmsPerHost = 40, Seed = 1 }).Snapshot, ms);
        _utf8 = ms.ToArray();
        _text = Encoding.UTF8.GetString(_utf8);
        _rules = WholeRun.FindUp("rules");
        _loaded = SnapshotLoader.Parse(_utf8, "bench.json");
        _catalog = RuleSetLoader.Load([_rules]).Catalog;
    }

    [Benchmark(Baseline = true, Description = "plain System.Text.Json deserialisation (floor)")]
    public Snapshot PlainDeserialise() => JsonSerializer.Deserialize<Snapshot>(_utf8, AuditJson.Options)!;

    [Benchmark(Description = "snapshot load: UTF-8, syntax, schema, model")]
    public LoadedJson<Snapshot> Load() => SnapshotLoader.Parse(_utf8, "bench.json");

    [Benchmark(Description = "schema validation alone")]
    public int SchemaOnly() => JsonFileLoader.ValidateAgainstSchema(_text, SnapshotLoader.SchemaName, "bench.json").Count;

    [Benchmark(Description = "rule set load + compile")]
    public RuleCatalog? Compile() => RuleSetLoader.Load([_rules]).Catalog;

    [Benchmark(Description = "evaluate")]
    public ResultsDocument Evaluate() => Evaluator.Evaluate(_catalog!, _loaded!, new EvaluationOptions { RecordTimings = false });
}

/// <summary>One short in-process job: each stage takes tens to hundreds of milliseconds, so a few single invocations are enough.</summary>
public sealed class PipelineBenchmarkConfig : ManualConfig
{
    public PipelineBenchmarkConfig()
    {
        AddJob(Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(1)
            .WithIterationCount(5)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithToolchain(InProcessEmitToolchain.Instance));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddLogger(DefaultConfig.Instance.GetLoggers().ToArray());
        AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray());
        AddExporter(DefaultConfig.Instance.GetExporters().ToArray());
    }
}
