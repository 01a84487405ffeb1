using System.Xml.Linq;
using Audit.Core;
using Audit.Tests.Common;

namespace Audit.Reports.Tests;

public class JUnitRendererTests
{
    private static string Write(ResultsDocument results, TempDir dir, string name = "junit.xml")
    {
        var path = Path.Combine(dir.Path, name);
        using (var f = File.Create(path))
        {
            JUnitRenderer.Render(results, f);
        }
        return path;
    }

    [Theory]
    [InlineData("junit-10.xsd")]
    [InlineData("windyroad-JUnit.xsd")]
    public void Sample_and_hostile_results_validate_against_the_schema(string xsd)
    {
        using var dir = new TempDir();
        foreach (var (name, results) in new[] { ("sample.xml", TestResults.Sample), ("hostile.xml", TestResults.Hostile()) })
        {
            var path = Write(results, dir, name);
            var r = Tools.Run("/usr/bin/xmllint", "--noout", "--schema", Path.Combine(RepoPaths.Shared, "junit", xsd), path);
            Assert.True(r.ExitCode == 0, $"{name} against {xsd}: {r.Err}");
        }
    }

    [Fact]
    public void A_real_junit_consumer_reads_the_same_totals_as_results_json()
    {
        using var dir = new TempDir();
        var results = TestResults.Hostile();
        var path = Write(results, dir);
        // Debian's python3-junitparser (the system python, where apt installs it).
        var script = """
            import sys
            from junitparser import JUnitXml, Failure, Error, Skipped
            xml = JUnitXml.fromfile(sys.argv[1])
            t = f = e = s = 0
            names = set()
            dup = 0
            for suite in xml:
                for case in suite:
                    t += 1
                    key = (case.classname, case.name)
                    dup += key in names
                    names.add(key)
                    kinds = [type(r).__name__ for r in case.result]
                    f += 'Failure' in kinds
                    e += 'Error' in kinds
                    s += 'Skipped' in kinds
            print(t, f, e, s, dup, len(list(xml)))
            """;
        var py = Path.Combine(dir.Path, "read.py");
        File.WriteAllText(py, script);
        var r = Tools.Run("/usr/bin/python3", py, path);
        Assert.True(r.ExitCode == 0, r.Err);
        var o = results.Summary.ByOutcome;
        var groups = results.Results.Select(ReportGroups.Of).Distinct().Count();
        Assert.Equal($"{results.Results.Count} {o.Fail} {o.Error} {o.NotApplicable + o.Waived} 0 {groups}", r.Out.Trim());
    }

    [Fact]
    public void Suites_are_hosts_clusters_and_directory_with_per_suite_counts()
    {
        var doc = XDocument.Parse(JUnitRenderer.Render(TestResults.Sample));
        var suites = doc.Root!.Elements("testsuite").ToList();
        Assert.Equal(["DC1", "DC2", "WHISKEY", "XRAY", "YANKEE", "ZULU", "cluster HVCLU1", "(directory)"], suites.Select(s => (string)s.Attribute("name")!));
        foreach (var s in suites)
        {
            var cases = s.Elements("testcase").ToList();
            Assert.Equal(cases.Count, (int)s.Attribute("tests")!);
            Assert.Equal(cases.Count(c => c.Element("failure") is not null), (int)s.Attribute("failures")!);
            Assert.Equal(cases.Count(c => c.Element("error") is not null), (int)s.Attribute("errors")!);
            Assert.Equal(cases.Count(c => c.Element("skipped") is not null), (int)s.Attribute("skipped")!);
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", (string)s.Attribute("timestamp")!);
        }
        var whiskey = suites.Single(s => (string)s.Attribute("name")! == "WHISKEY");
        var kb = whiskey.Elements("testcase").Single(c => (string)c.Attribute("name")! == "KB-001 WHISKEY");
        Assert.Equal("audit.WHISKEY.KB", (string)kb.Attribute("classname")!);
        Assert.Contains("access denied", (string)kb.Element("error")!.Attribute("message")!, StringComparison.Ordinal);
        var zulu = suites.Single(s => (string)s.Attribute("name")! == "ZULU");
        var fail = zulu.Elements("testcase").Single(c => (string)c.Attribute("name")! == "HV-IS-001 ZULU/FILE-2008R2").Element("failure")!;
        Assert.Equal("medium", (string)fail.Attribute("type")!);
        Assert.Contains("expected: >= 6.2.9200.16433", fail.Value, StringComparison.Ordinal);
        Assert.Contains("actual: 6.2.9200.16384", fail.Value, StringComparison.Ordinal);
        Assert.Contains("remediation:", fail.Value, StringComparison.Ordinal);
        var skipped = zulu.Elements("testcase").First(c => c.Element("skipped") is not null).Element("skipped")!;
        Assert.StartsWith("not applicable: ", (string)skipped.Attribute("message")!, StringComparison.Ordinal);
    }

    [Fact]
    public void Testcase_names_are_unique_even_when_two_vms_share_a_name()
    {
        var sample = TestResults.Sample;
        var twin = sample.Results.First(v => v.Entity == "ZULU/FILE-2008R2" && v.RuleId == "HV-IS-001");
        var all = sample.Results.Append(twin).Append(twin with { Entity = twin.Entity + " #2" }).ToList();
        var doc = XDocument.Parse(JUnitRenderer.Render(sample with { Results = all }));
        var names = doc.Descendants("testcase").Select(c => (string)c.Attribute("classname")! + "|" + (string)c.Attribute("name")!).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Contains("audit.ZULU.HV-IS|HV-IS-001 ZULU/FILE-2008R2 #2", names);
        // The VM literally named "FILE-2008R2 #2" keeps a name of its own too.
        Assert.Equal(3, names.Count(n => n.StartsWith("audit.ZULU.HV-IS|HV-IS-001 ZULU/FILE-2008R2", StringComparison.Ordinal)));
    }

    [Fact]
    public void Waived_checks_are_skipped_with_the_justification()
    {
        var doc = XDocument.Parse(JUnitRenderer.Render(TestResults.Hostile()));
        var waived = doc.Descendants("skipped").Where(s => ((string)s.Attribute("message")!).StartsWith("waived until 2027-01-31", StringComparison.Ordinal)).ToList();
        Assert.Equal(TestResults.HostileNames.Length, waived.Count);
    }

    [Fact]
    public void Output_is_deterministic_and_matches_the_approved_sample()
    {
        var a = JUnitRenderer.Render(TestResults.Sample);
        Assert.Equal(a, JUnitRenderer.Render(TestResults.Sample));
        Approvals.Verify("Audit.Reports.Tests", "sample.junit.xml", a);
    }
}
