using System.Text;
using System.Text.Json;
using Audit.Core.Loading;
using Audit.Core.Snapshots;

namespace Audit.Core.Tests;

/// <summary>
/// Loading shares one string object among equal short values (<see cref="SharedStrings"/>) without changing any value,
/// and only while a loader reads.
/// </summary>
public class SharedStringsTests
{
    private static string Snapshot(string firstDescription, string secondDescription, string longId) => $$"""
        {
          "apiVersion": "audit.hyperv/v1",
          "kind": "Snapshot",
          "collectedAt": "2026-11-24T02:00:00Z",
          "hosts": [
            { "name": "ALPHA", "collection": [], "hotfixes": [ { "id": "KB2770917", "description": "{{firstDescription}}" }, { "id": "{{longId}}" } ],
              "integrationServices": { "Microsoft-Hyper-V-Guest-Installer-Win6x-Package": "6.2.9200.16433" } },
            { "name": "BRAVO", "collection": [], "hotfixes": [ { "id": "KB2770917", "description": "{{secondDescription}}" }, { "id": "{{longId}}" } ],
              "integrationServices": { "Microsoft-Hyper-V-Guest-Installer-Win6x-Package": "6.2.9200.16433" } }
          ]
        }
        """;

    [Fact]
    public void Equal_short_values_of_a_loaded_document_are_one_object_and_keep_their_text()
    {
        var longId = "KB" + new string('7', SharedStrings.MaxBytes);
        var s = SnapshotLoader.Parse(Encoding.UTF8.GetBytes(Snapshot("Security Update", "Security Update", longId)), "s.json").Value;
        var (a, b) = (s.Hosts[0], s.Hosts[1]);
        Assert.Equal("KB2770917", a.Hotfixes![0].Id);
        Assert.Same(a.Hotfixes[0].Id, b.Hotfixes![0].Id);
        Assert.Same(a.Hotfixes[0].Description, b.Hotfixes[0].Description);
        Assert.Same(a.IntegrationServices!["Microsoft-Hyper-V-Guest-Installer-Win6x-Package"], b.IntegrationServices!["Microsoft-Hyper-V-Guest-Installer-Win6x-Package"]);
        // Longer values are read as they always were: equal, separate objects.
        Assert.Equal(longId, a.Hotfixes[1].Id);
        Assert.Equal(a.Hotfixes[1].Id, b.Hotfixes[1].Id);
        Assert.NotSame(a.Hotfixes[1].Id, b.Hotfixes[1].Id);
    }

    [Fact]
    public void Escaped_and_non_ascii_values_read_as_written()
    {
        var s = SnapshotLoader.Parse(Encoding.UTF8.GetBytes(Snapshot("Caf\\u00e9 \\\"update\\\"", "Café \\\"update\\\"", "KB1")), "s.json").Value;
        Assert.Equal("Café \"update\"", s.Hosts[0].Hotfixes![0].Description);
        Assert.Equal("Café \"update\"", s.Hosts[1].Hotfixes![0].Description);
    }

    [Fact]
    public void A_value_of_the_wrong_type_is_refused_as_before()
    {
        var json = Snapshot("Update", "Update", "KB1").Replace("\"description\": \"Update\"", "\"description\": 5", StringComparison.Ordinal);
        var plain = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Snapshot>(json, AuditJson.Options));
        using var sharing = SharedStrings.Begin();
        var shared = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Snapshot>(json, AuditJson.Reading));
        Assert.Equal(plain.Message, shared.Message);
    }

    [Fact]
    public void Outside_a_loader_nothing_is_shared()
    {
        var json = Snapshot("Security Update", "Security Update", "KB1");
        var s = JsonSerializer.Deserialize<Snapshot>(json, AuditJson.Reading)!;
        Assert.Equal(s.Hosts[0].Hotfixes![0].Description, s.Hosts[1].Hotfixes![0].Description);
        Assert.NotSame(s.Hosts[0].Hotfixes![0].Description, s.Hosts[1].Hotfixes![0].Description);
    }
}
