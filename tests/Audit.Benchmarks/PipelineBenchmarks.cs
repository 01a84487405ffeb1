using System.Text;
using System.Text.Json;
using Audit.Core;
using Audit.Generator;
using Audit.Rules;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Audit.Benchmarks;

/// <summary>Micro benchmarks of each pipeline stage over a generated estate (100 hosts x 40 VMs by default), in process.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5, invocationCount: 1)]
[InProcess]
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
