using Audit.Collectors.Inventory;
using Audit.Core;
using Audit.Tests.Common;

namespace Audit.Collectors.Tests.Inventory;

public sealed class InventoryLoaderTests
{
    private static IReadOnlyList<Collectors.Cim.InventoryHost> LoadText(string text, string name = "hosts.txt")
    {
        using var dir = new TempDir();
        var path = dir.File(name);
        File.WriteAllText(path, text);
        return InventoryLoader.Load(path, name);
    }

    private static InputException Fails(string text, string name = "hosts.txt")
    {
        using var dir = new TempDir();
        var path = dir.File(name);
        File.WriteAllText(path, text);
        return Assert.Throws<InputException>(() => InventoryLoader.Load(path, name));
    }

    [Fact]
    public void Text_file_one_name_per_line_with_comments_and_blank_lines()
    {
        var hosts = LoadText("# Hyper-V hosts of site A\r\nhv1.lab.test\n\n  hv2   # rack 4\n10.0.0.7\n#hv9\n");
        Assert.Equal(["hv1.lab.test", "hv2", "10.0.0.7"], hosts.Select(h => h.Name));
        Assert.Equal(("HV1", "hv1.lab.test", "lab.test"), (hosts[0].Identity().Name, hosts[0].Identity().Fqdn, hosts[0].Identity().Domain));
        Assert.Equal("10.0.0.7", hosts[2].Identity().Name);
    }

    [Fact]
    public void Json_file_with_cluster_and_migration_group_per_host()
    {
        var hosts = LoadText("""
            {"hosts": [
              {"name": "hv1.lab.test", "cluster": "hvclu1"},
              {"name": "whiskey", "migrationGroup": "SITE-B"},
              "victor"
            ]}
            """, "hosts.json");
        Assert.Equal(3, hosts.Count);
        Assert.Equal("HVCLU1", hosts[0].Cluster);
        Assert.Equal("SITE-B", hosts[1].MigrationGroup);
        Assert.Equal(("WHISKEY", "SITE-B"), (hosts[1].Identity().Name, hosts[1].Identity().MigrationGroup));
        Assert.Null(hosts[2].Cluster);
    }

    [Fact]
    public void Bad_names_and_duplicates_are_reported_with_line_and_column()
    {
        var e = Fails("hv1\n  bad_name!\nHV1.lab.test\n");
        var lines = e.Diagnostics.Select(d => d.ToString()).ToList();
        Assert.Contains("hosts.txt(2,3): error AUD0050: 'bad_name!' is not a host name or IP address (one host per line; # starts a comment)", lines);
        Assert.Contains(lines, l => l.StartsWith("hosts.txt(3,1): error AUD0040: host 'HV1.lab.test' is listed twice (first at line 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Json_errors_have_positions()
    {
        var e = Fails("{\"hosts\": [\n  {\"name\": \"hv1\", \"clutser\": \"x\"},\n  {\"cluster\": \"c\"},\n  42\n]}", "hosts.json");
        var lines = e.Diagnostics.Select(d => d.ToString()).ToList();
        Assert.Contains(lines, l => l.StartsWith("hosts.json(2,", StringComparison.Ordinal) && l.Contains("unknown property 'clutser'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("hosts.json(3,", StringComparison.Ordinal) && l.Contains("without 'name'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("hosts.json(4,3)", StringComparison.Ordinal));
        var syntax = Fails("{\"hosts\": [\"hv1\",]}", "hosts.json");
        Assert.Equal(DiagnosticCodes.InvalidJson, Assert.Single(syntax.Diagnostics).Code);
    }

    [Fact]
    public void Missing_file_is_AUD0001()
    {
        var e = Assert.Throws<InputException>(() => InventoryLoader.Load("/nonexistent/hosts.txt", "hosts.txt"));
        Assert.Equal(DiagnosticCodes.FileNotFound, Assert.Single(e.Diagnostics).Code);
    }

    [Fact]
    public void Comma_list_and_combination()
    {
        var list = InventoryLoader.ParseList(["hv1, hv2", "hv3"]);
        Assert.Equal(["hv1", "hv2", "hv3"], list.Select(h => h.Name));
        Assert.Throws<InputException>(() => InventoryLoader.ParseList(["hv1,hv1.lab.test"]));
        Assert.Throws<InputException>(() => InventoryLoader.ParseList(["hv1;rm -rf"]));
        var e = Assert.Throws<InputException>(() => InventoryLoader.Combine(list, [new Collectors.Cim.InventoryHost { Name = "HV2.lab.test" }]));
        Assert.Contains("HV2", e.Diagnostics[0].Message, StringComparison.Ordinal);
    }
}
