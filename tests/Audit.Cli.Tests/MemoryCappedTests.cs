using System.Diagnostics;
using System.Text.Json;
using Audit.Core;
using Audit.Tests.Common;

namespace Audit.Cli.Tests;

/// <summary>
/// The CLI as a process in a memory cgroup of the test's own, limited to 1 GiB: the sample and the attacks of
/// <see cref="FaultTests"/> end with a documented exit code (never killed, never aborted) and, where reports are
/// written, complete ones. Needs root, as the Samba and tmpfs tests do.
/// </summary>
public sealed class MemoryCappedTests : IDisposable
{
    private const long Limit = 1L << 30;
    private readonly string _cgroup;
    private readonly TempDir _dir = new();

    public MemoryCappedTests()
    {
        Assert.True(Environment.IsPrivilegedProcess, "a memory cgroup for the test needs root: run ./test.sh as root or with sudo");
        var self = File.ReadAllLines("/proc/self/cgroup");
        var v1 = self.Select(l => l.Split(':')).FirstOrDefault(p => p.Length == 3 && p[1] == "memory");
        var v2 = self.Select(l => l.Split(':')).FirstOrDefault(p => p.Length == 3 && p[0] == "0" && p[1] == "");
        var name = $"audit-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];
        if (v1 is not null && Directory.Exists("/sys/fs/cgroup/memory"))
        {
            _cgroup = Path.Combine("/sys/fs/cgroup/memory" + v1[2], name);
            Directory.CreateDirectory(_cgroup);
            File.WriteAllText(Path.Combine(_cgroup, "memory.limit_in_bytes"), Limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            Assert.True(v2 is not null, "no memory cgroup (v1 or v2) found");
            _cgroup = Path.Combine("/sys/fs/cgroup" + v2![2], name);
            Directory.CreateDirectory(_cgroup);
            File.WriteAllText(Path.Combine(_cgroup, "memory.max"), Limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private (int Code, string Err) Audit(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "audit.dll");
        var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = RepoPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        // The shell joins the cgroup, then becomes the audit process.
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("echo $$ > \"$0\"/cgroup.procs && exec dotnet exec \"$@\"");
        psi.ArgumentList.Add(_cgroup);
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "did not finish in 5 minutes");
        return (p.ExitCode, err.Result);
    }

    private static void AssertCompleteReports(string dir)
    {
        Assert.EndsWith("</html>\n", File.ReadAllText(Path.Combine(dir, "report.html")), StringComparison.Ordinal);
        System.Xml.Linq.XDocument.Load(Path.Combine(dir, "junit.xml"));
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "results.json"))).Dispose();
    }

    [Fact]
    public void Under_1_GiB_the_sample_and_every_attack_end_with_a_documented_exit_code()
    {
        var sample = Audit("run", "--out", _dir.File("sample"), "--quiet");
        Assert.True(sample.Code == ExitCodes.Failed, sample.Err);
        AssertCompleteReports(_dir.File("sample"));

        // An allowed expression that grows without bound (on fact strings, so only the evaluation budget can stop it).
        File.WriteAllText(_dir.File("bomb.json"), FaultTests.RuleSet("BOMB", "vm", FaultTests.FactBomb("vm.Name")));
        var bomb = Audit("evaluate", "--snapshot", RepoPaths.SampleSnapshot, "--rules", _dir.File("bomb.json"), "--out", _dir.File("bomb"), "--quiet");
        Assert.True(bomb.Code == ExitCodes.Incomplete, bomb.Err);
        AssertCompleteReports(_dir.File("bomb"));

        // A 50 MB VM name.
        var text = File.ReadAllText(RepoPaths.SampleSnapshot).Replace("\"name\": \"SQL01\"", "\"name\": \"" + new string('S', 50 * 1024 * 1024) + "\"", StringComparison.Ordinal);
        File.WriteAllText(_dir.File("huge.json"), text);
        var huge = Audit("evaluate", "--snapshot", _dir.File("huge.json"), "--out", _dir.File("huge"), "--quiet");
        Assert.True(huge.Code == ExitCodes.Failed, huge.Err);
        AssertCompleteReports(_dir.File("huge"));
        Assert.True(new FileInfo(_dir.File("huge/report.html")).Length < 8 * 1024 * 1024, "the report is bounded by the number of values, not their size");

        // Devices as input.
        var zero = Audit("evaluate", "--snapshot", "/dev/zero", "--out", _dir.File("zero"), "--quiet");
        Assert.True(zero.Code == ExitCodes.InvalidInput, zero.Err);
    }

    public void Dispose()
    {
        _dir.Dispose();
        try
        {
            Directory.Delete(_cgroup);
        }
        catch (IOException)
        {
        }
    }
}
