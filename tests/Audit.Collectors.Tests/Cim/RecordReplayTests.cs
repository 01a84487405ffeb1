using System.Text;
using System.Text.Json;
using Audit.Collectors.Cim;
using Audit.Collectors.Recording;
using Audit.Core;
using Audit.Tests.Common;
using Audit.Core.Loading;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Tests.Cim;

/// <summary>
/// --record writes what the hosts answered, schema-valid, with types, nulls and faults kept; --replay plays it back
/// into the same host facts; a recording that would carry the password is refused and nothing is written.
/// </summary>
public sealed class RecordReplayTests
{
    private const string Password = "S3cret-Pa55-9f1c";
    private static readonly RecordedBy By = new() { Tool = "audit", Version = "test", Machine = "MGMT01" };

    private static CollectionRunOptions Options => new() { Connection = new CimConnectionOptions { User = @"LAB\auditor", Password = Password } };

    private static string Normalised(IEnumerable<HostFacts> hosts) =>
        JsonSerializer.Serialize(hosts.Select(h => h with { Collection = [.. h.Collection.Select(c => c with { DurationMs = null })] }), AuditJson.Options);

    [Fact]
    public async Task Recording_a_run_then_replaying_it_gives_the_same_host_facts_and_replays_are_identical()
    {
        // "Live": the cluster node's answers, and a host whose connection test fails with a Kerberos fault.
        var live = new FakeCimEndpoint(CimRecording.Load("hv2012-cluster-node"), TimeSpan.Zero);
        var denied = new DelegatingFactory(live, host => host.StartsWith("kdc", StringComparison.Ordinal)
            ? CimErrorClassifier.ToException(FirstContactTests.KerberosWrongPrincipal(), CimOperationText.TestConnection(host)) : null);
        var recorder = new RecordingCimSessionFactory(denied, By);
        InventoryHost[] inventory = [new() { Name = "hv1.lab.test", Cluster = "HVCLU1" }, new() { Name = "kdc-fails.lab.test", MigrationGroup = "G1" }];
        foreach (var h in inventory)
        {
            recorder.Expect(h);
        }
        var liveResult = await new CollectionRunner(recorder).RunAsync(inventory, Options);

        using var dir = new TempDir();
        var files = recorder.Save(dir.Path);
        Assert.Equal(["hv1.lab.test.cim.json", "kdc-fails.lab.test.cim.json"], files.Select(Path.GetFileName));
        foreach (var f in files)
        {
            var text = File.ReadAllText(f);
            Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
            Assert.Empty(JsonFileLoader.ValidateAgainstSchema(text, CimRecordingDocument.SchemaName, f));
        }
        var kdc = File.ReadAllText(files[1]);
        Assert.Contains("\"error_Code\"", kdc, StringComparison.Ordinal);
        Assert.Contains("\"messageId\": \"HRESULT 0x80090322\"", kdc, StringComparison.Ordinal);
        Assert.Contains("\"classifiedAs\": \"AuthenticationFailed\"", kdc, StringComparison.Ordinal);
        var node = File.ReadAllText(files[0]);
        Assert.Contains("\"clrType\": \"System.UInt16\"", node, StringComparison.Ordinal); // EnabledState as MI types it
        Assert.Contains("\"user\": \"LAB\\\\auditor\"", node, StringComparison.Ordinal);

        var replay = ReplayCimSessionFactory.Load(dir.Path);
        Assert.Equal(inventory.Select(h => (h.Name, h.Cluster, h.MigrationGroup)), replay.Hosts.Select(h => (h.Name, h.Cluster, h.MigrationGroup)));
        var first = await new CollectionRunner(replay).RunAsync(replay.Hosts, new CollectionRunOptions());
        Assert.Empty(replay.Misses);
        Assert.Equal(Normalised(liveResult.Hosts), Normalised(first.Hosts));
        Assert.All(first.Hosts[1].Collection, c => Assert.Equal((int)CimErrorCode.AuthenticationFailed, c.ErrorCode));

        var again = ReplayCimSessionFactory.Load(dir.Path);
        var second = await new CollectionRunner(again).RunAsync(again.Hosts, new CollectionRunOptions());
        Assert.Equal(JsonSerializer.Serialize(first.Hosts, AuditJson.Options), JsonSerializer.Serialize(second.Hosts, AuditJson.Options));
    }

    [Fact]
    public async Task A_recording_with_the_password_in_an_answer_is_refused_and_nothing_is_written()
    {
        // A host whose registry happens to hold the password (an answer echoes it): the recording must not be written.
        var doc = CimRecording.Load("hv2012-cluster-node");
        doc = doc with
        {
            Operations = [.. doc.Operations.Select(op => op.Query == OsCollector.ComputerQuery
                ? op with { Instances = [new RecordedInstance { Class = "Win32_ComputerSystem", Properties = [RecordedValueCodec.Encode("Name", "HV1", "String"), RecordedValueCodec.Encode("Domain", "pw=" + Password, "String")] }] }
                : op)],
        };
        var recorder = new RecordingCimSessionFactory(new FakeCimEndpoint(doc, TimeSpan.Zero), By);
        await new CollectionRunner(recorder).RunAsync([new InventoryHost { Name = "hv1" }], Options);
        using var dir = new TempDir();
        var target = Path.Combine(dir.Path, "rec");
        var e = Assert.Throws<RecordingRefusedException>(() => recorder.Save(target));
        Assert.Contains("contains the password", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, e.Message, StringComparison.Ordinal);
        Assert.False(System.IO.Directory.Exists(target) && System.IO.Directory.EnumerateFileSystemEntries(target).Any());
    }

    [Fact]
    public void Values_keep_their_types_and_null_stays_apart_from_absent()
    {
        var record = new CimRecord("X", [
            new("U16", (ushort)7), new("U64", ulong.MaxValue), new("S32", -5), new("B", true), new("Null", null),
            new("When", new DateTime(2026, 11, 21, 3, 12, 0, DateTimeKind.Utc)), new("Span", TimeSpan.FromMinutes(90)),
            new("Names", new[] { "a", "b" }), new("Types", new[] { 1, 4 }), new("Nested", new CimRecord("Y", [new("Z", "z")])),
        ], cimTypes: new Dictionary<string, string> { ["U16"] = "UInt16" });
        var json = JsonSerializer.Serialize(RecordedValueCodec.Instance(record), AuditJson.Options);
        var back = RecordedValueCodec.ToRecord(JsonSerializer.Deserialize<RecordedInstance>(json, AuditJson.Options)!);
        foreach (var (name, value) in record.Properties)
        {
            Assert.True(back.Has(name), name);
            Assert.Equal(value?.GetType(), back[name]?.GetType());
        }
        Assert.Equal(ulong.MaxValue, back["U64"]);
        Assert.Null(back["Null"]);
        Assert.False(back.Has("Absent"));
        Assert.Equal("UInt16", back.CimTypeOf("U16"));
        Assert.Equal(new DateTime(2026, 11, 21, 3, 12, 0, DateTimeKind.Utc), back["When"]);
        Assert.Equal("z", back.GetRecord("Nested")!.GetString("Z"));
        Assert.Contains("\"18446744073709551615\"", json, StringComparison.Ordinal); // 64-bit as text
    }

    [Fact]
    public void Every_shipped_recording_is_schema_valid_and_says_how_it_was_made()
    {
        foreach (var name in CimRecording.Names)
        {
            var path = Path.Combine(CimRecording.Folder, name);
            Assert.Empty(JsonFileLoader.ValidateAgainstSchema(File.ReadAllText(path, Encoding.UTF8), CimRecordingDocument.SchemaName, path));
            Assert.False(string.IsNullOrWhiteSpace(CimRecording.Load(name).Provenance));
        }
    }

    [Fact]
    public async Task A_question_the_recording_does_not_hold_is_an_error_of_that_family_and_listed()
    {
        var doc = CimRecording.Load("hv2012-cluster-node");
        doc = doc with { Operations = [.. doc.Operations.Where(op => op.Query != HotfixCollector.Query)] };
        var replay = new ReplayCimSessionFactory([doc]);
        var result = await new CollectionRunner(replay).RunAsync(replay.Hosts, new CollectionRunOptions());
        var hotfixes = Assert.Single(result.Hosts[0].Collection, c => c.Collector == FactFamilies.Hotfixes);
        Assert.Equal((CollectionState.Error, (int)CimErrorCode.NotRecorded), (hotfixes.Status, hotfixes.ErrorCode));
        Assert.Contains(replay.Misses, m => m.Contains(HotfixCollector.Query, StringComparison.Ordinal));
    }

    /// <summary>Wraps a factory; chosen hosts fail their connection test.</summary>
    private sealed class DelegatingFactory(ICimSessionFactory inner, Func<string, Exception?> testFails) : ICimSessionFactory
    {
        public async Task<ICimSession> CreateAsync(string computerName, CimConnectionOptions options, CancellationToken cancellationToken)
        {
            var session = await inner.CreateAsync(computerName, options, cancellationToken);
            return testFails(computerName) is { } e ? new FailingTest(session, e) : session;
        }

        private sealed class FailingTest(ICimSession inner, Exception failure) : ICimSession
        {
            public string ComputerName => inner.ComputerName;
            public Task TestConnectionAsync(CancellationToken cancellationToken) => Task.FromException(failure);
            public Task<IReadOnlyList<CimRecord>> QueryAsync(string cimNamespace, string wql, CancellationToken cancellationToken) => inner.QueryAsync(cimNamespace, wql, cancellationToken);
            public Task<CimMethodOutput> InvokeStaticAsync(string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
                inner.InvokeStaticAsync(cimNamespace, className, method, arguments, cancellationToken);
            public Task<CimMethodOutput> InvokeAsync(string cimNamespace, CimRecord instance, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
                inner.InvokeAsync(cimNamespace, instance, method, arguments, cancellationToken);
            public void Dispose() => inner.Dispose();
        }
    }
}
