using System.Xml.Linq;
using System.Xml.Schema;
using Audit.Tests.Common;
using Audit.Core.Results;

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

    /// <summary>The project's own statement of the JUnit shape (schema/junit.v1.xsd), written from the constraints of
    /// Jenkins xUnit's junit-10 schema and the strict schema Azure DevOps follows.</summary>
    private static string JUnitSchema => Path.Combine(RepoPaths.Schema, "junit.v1.xsd");

    private static XmlSchemaSet LoadSchema()
    {
        var set = new XmlSchemaSet();
        set.Add(null, JUnitSchema);
        set.Compile();
        return set;
    }

    /// <summary>Every schema error .NET's validator reports for the document (empty when valid).</summary>
    private static List<string> SchemaErrors(XDocument doc)
    {
        var errors = new List<string>();
        doc.Validate(LoadSchema(), (_, e) => errors.Add(e.Message));
        return errors;
    }

    [Fact]
    public void Sample_and_hostile_results_validate_against_the_project_schema_in_xmllint_and_dotnet()
    {
        using var dir = new TempDir();
        foreach (var (name, results) in new[] { ("sample.xml", TestResults.Sample), ("hostile.xml", TestResults.Hostile()) })
        {
            var path = Write(results, dir, name);
            var r = Tools.Run("/usr/bin/xmllint", "--noout", "--schema", JUnitSchema, path);
            Assert.True(r.ExitCode == 0, $"{name} against junit.v1.xsd (xmllint): {r.Err}");
            Assert.Empty(SchemaErrors(XDocument.Load(path)));
        }
    }

    /// <summary>Each constraint of the schema, broken once in the sample's junit.xml: the schema must reject it, so a
    /// renderer change that breaks a consumer's expectation cannot pass unnoticed.</summary>
    [Theory]
    [InlineData("root totals", "[xunit]+[strict] root has no attributes")]
    [InlineData("no system-out", "[strict] system-out present")]
    [InlineData("properties after testcases", "[strict] element order")]
    [InlineData("four decimals", "[xunit] time has at most 3 decimals")]
    [InlineData("comma decimal", "[xunit] time uses '.'")]
    [InlineData("timestamp with zone", "[strict] local timestamp")]
    [InlineData("no hostname", "[strict] hostname required")]
    [InlineData("no classname", "[strict] classname required")]
    [InlineData("failure without type", "[strict] failure type required")]
    [InlineData("two outcomes", "[strict] one outcome element")]
    [InlineData("empty name", "[strict] non-empty name")]
    [InlineData("negative count", "[ours] counts non-negative")]
    [InlineData("duplicate suite", "[ours] suite names unique")]
    [InlineData("duplicate testcase", "[ours] testcases unique in a suite")]
    public void The_schema_rejects_each_broken_constraint(string mutation, string constraint)
    {
        var doc = XDocument.Parse(JUnitRenderer.Render(TestResults.Sample));
        Assert.Empty(SchemaErrors(doc));
        var suite = doc.Root!.Elements("testsuite").First(s => s.Elements("testcase").Any(c => c.Element("failure") is not null));
        var testcase = suite.Elements("testcase").First(c => c.Element("failure") is not null);
        switch (mutation)
        {
            case "root totals": doc.Root.SetAttributeValue("tests", "1"); break;
            case "no system-out": suite.Element("system-out")!.Remove(); break;
            case "properties after testcases":
                var props = suite.Element("properties")!;
                props.Remove();
                suite.Elements("testcase").Last().AddAfterSelf(props);
                break;
            case "four decimals": testcase.SetAttributeValue("time", "0.1234"); break;
            case "comma decimal": suite.SetAttributeValue("time", "0,5"); break;
            case "timestamp with zone": suite.SetAttributeValue("timestamp", "2026-11-24T03:00:00Z"); break;
            case "no hostname": suite.SetAttributeValue("hostname", null); break;
            case "no classname": testcase.SetAttributeValue("classname", null); break;
            case "failure without type": testcase.Element("failure")!.SetAttributeValue("type", null); break;
            case "two outcomes": testcase.Add(new XElement("error", new XAttribute("type", "e"))); break;
            case "empty name": testcase.SetAttributeValue("name", ""); break;
            case "negative count": suite.SetAttributeValue("failures", "-1"); break;
            case "duplicate suite": suite.AddAfterSelf(new XElement(suite)); break;
            case "duplicate testcase": testcase.AddAfterSelf(new XElement(testcase)); break;
            default: throw new ArgumentException(mutation);
        }
        Assert.True(SchemaErrors(doc).Count > 0, $"schema accepted a document breaking: {constraint}");
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
            first = next(iter(xml))
            props = {p.name: p.value for p in first.properties()}
            print(t, f, e, s, dup, len(list(xml)), props['audit.totals.tests'], props['audit.totals.failures'])
            """;
        var py = Path.Combine(dir.Path, "read.py");
        File.WriteAllText(py, script);
        var r = Tools.Run("/usr/bin/python3", py, path);
        Assert.True(r.ExitCode == 0, r.Err);
        var o = results.Summary.ByOutcome;
        var groups = results.Results.Select(ReportGroups.Of).Distinct().Count();
        Assert.Equal($"{results.Results.Count} {o.Fail} {o.Error} {o.NotApplicable + o.Waived} 0 {groups} {results.Results.Count} {o.Fail}", r.Out.Trim());
    }

    [Fact]
    public void Suites_are_hosts_clusters_and_directory_with_per_suite_counts()
    {
        var doc = XDocument.Parse(JUnitRenderer.Render(TestResults.Sample));
        var suites = doc.Root!.Elements("testsuite").ToList();
        Assert.Equal(["DC1", "DC2", "VICTOR", "WHISKEY", "XRAY", "YANKEE", "ZULU", "cluster HVCLU1", "(directory)"], suites.Select(s => (string)s.Attribute("name")!));
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
    public void Run_properties_and_totals_are_written_once_on_the_first_suite()
    {
        var results = TestResults.Hostile();
        var doc = XDocument.Parse(JUnitRenderer.Render(results));
        var suites = doc.Root!.Elements("testsuite").ToList();
        string? Prop(XElement suite, string name) => (string?)suite.Element("properties")!.Elements("property").SingleOrDefault(p => (string)p.Attribute("name")! == name)?.Attribute("value");
        var first = suites[0];
        Assert.Equal(results.Run.Snapshot.Sha256, Prop(first, "audit.snapshot.sha256"));
        var o = results.Summary.ByOutcome;
        Assert.Equal([results.Results.Count, o.Fail, o.Error, o.NotApplicable + o.Waived],
            new[] { "tests", "failures", "errors", "skipped" }.Select(k => int.Parse(Prop(first, "audit.totals." + k)!, System.Globalization.CultureInfo.InvariantCulture)));
        // The totals agree with the sum over the suites, which is what consumers compute.
        Assert.Equal(suites.Sum(s => (int)s.Attribute("tests")!), int.Parse(Prop(first, "audit.totals.tests")!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(suites.Sum(s => (int)s.Attribute("skipped")!), int.Parse(Prop(first, "audit.totals.skipped")!, System.Globalization.CultureInfo.InvariantCulture));
        // Every other suite states its own kind and nothing of the run.
        Assert.All(suites.Skip(1), s => Assert.Equal(["audit.group.kind"], s.Element("properties")!.Elements("property").Select(p => (string)p.Attribute("name")!)));
        Assert.Single(doc.Descendants("property"), p => (string)p.Attribute("name")! == "audit.toolVersion");
        Assert.Empty(doc.Root.Attributes());
    }

    [Fact]
    public void Testcase_names_are_unique_even_when_two_vms_share_a_name()
    {
        var sample = TestResults.Sample;
        var twin = sample.Results.First(v => v.Entity.Key == "ZULU/FILE-2008R2" && v.RuleId == "HV-IS-001");
        var all = sample.Results.Append(twin).Append(twin with { Entity = EntityId.Vm("ZULU", "FILE-2008R2 #2") }).ToList();
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
