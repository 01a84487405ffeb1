using Audit.Tests.Common;
using Audit.Core.Loading;
using Audit.Core.Snapshots;

namespace Audit.Core.Tests;

public class SnapshotSchemaTests
{
    [Fact]
    public void Snapshot_schema_and_model_are_in_step()
    {
        var problems = SchemaModelSync.Differences(typeof(Snapshot), File.ReadAllText(Path.Combine(RepoPaths.Schema, "snapshot.v1.schema.json")));
        Assert.Empty(problems);
    }

    [Fact]
    public void Step_check_notices_a_property_missing_from_the_schema()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Schema, "snapshot.v1.schema.json")).Replace("\"migrationGroup\":", "\"migrationGroupX\":", StringComparison.Ordinal);
        var problems = SchemaModelSync.Differences(typeof(Snapshot), text);
        Assert.Contains(problems, p => p.Contains("migrationGroup: in model", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("migrationGroupX: in schema but not in model", StringComparison.Ordinal));
    }

    [Fact]
    public void Embedded_schema_is_the_file_in_schema_folder()
    {
        Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Schema, "snapshot.v1.schema.json")), JsonFileLoader.SchemaText("snapshot.v1.schema.json"));
    }

    [Fact]
    public void Bundled_sample_snapshot_loads_and_round_trips()
    {
        var loaded = SnapshotLoader.Load(RepoPaths.SampleSnapshot);
        Assert.Equal(7, loaded.Value.Hosts.Count);
        Assert.NotNull(loaded.Value.Directory);
        var again = System.Text.Json.JsonSerializer.Serialize(loaded.Value, AuditJson.Options);
        var reloaded = SnapshotLoader.Parse(System.Text.Encoding.UTF8.GetBytes(again), "roundtrip.json");
        Assert.Equal(again, System.Text.Json.JsonSerializer.Serialize(reloaded.Value, AuditJson.Options));
    }
}
