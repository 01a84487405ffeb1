using System.Text.Json;
using System.Diagnostics;
using Audit.Core;
using Audit.Tests.Common;
using Audit.Core.Results;

namespace Audit.Cli.Tests;

/// <summary>
/// Faults and abuse through the CLI, by class: special files as input, a full or read-only disk, killed runs' leftovers,
/// abusive templates, abusive rule expressions. Each ends with a documented exit code and a message naming the file,
/// and the previous outputs stay as they were.
/// </summary>
public class FaultTests
{
    private static void Sh(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {err}");
    }

    [Theory]
    [InlineData("--snapshot")]
    [InlineData("--rules")]
    [InlineData("--waivers")]
    [InlineData("--params")]
    [InlineData("--template")]
    public void A_device_or_a_fifo_as_input_is_refused_at_once_naming_it(string option)
    {
        using var dir = new TempDir();
        var fifo = dir.File("pipe.json");
        Sh("/usr/bin/mkfifo", fifo);
        foreach (var special in new[] { "/dev/zero", fifo })
        {
            var args = option == "--snapshot"
                ? new[] { "evaluate", "--snapshot", special, "--out", dir.File("out") }
                : ["run", option, special, "--out", dir.File("out")];
            var watch = Stopwatch.StartNew();
            var r = CliRunner.Run(args);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "hung on " + special);
            Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
            Assert.Contains(special == fifo ? "FIFO (named pipe), not a regular file" : "character device, not a regular file", r.Err, StringComparison.Ordinal);
            Assert.False(Directory.Exists(dir.File("out")) && Directory.EnumerateFiles(dir.File("out")).Any(), "nothing is written");
        }
    }

    [Fact]
    public void A_hosts_file_that_is_a_device_is_refused()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("collect", "--hosts-file", "/dev/urandom", "--out", dir.File("s.json"));
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("/dev/urandom: error AUD0001: is a character device", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_full_disk_is_exit_74_naming_the_file_and_the_previous_reports_stay_as_a_set()
    {
        using var mount = new TmpfsMount(sizeKiB: 4096);
        var out1 = CliRunner.Run("run", "--out", mount.Path, "--quiet");
        Assert.Equal(ExitCodes.Failed, out1.ExitCode);
        var before = Directory.EnumerateFiles(mount.Path).Order(StringComparer.Ordinal).Select(f => (f, Hashing.Sha256(File.ReadAllBytes(f)))).ToList();
        // Leave a few KiB: the new set cannot be written.
        mount.Fill(leaveKiB: 24);

        var r = CliRunner.Run("run", "--out", mount.Path, "--quiet");
        Assert.Equal(ExitCodes.CannotWrite, r.ExitCode);
        Assert.Contains("error AUD0007: cannot write " + mount.Path, r.Err, StringComparison.Ordinal);
        Assert.Contains("No space left on device", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", r.Err, StringComparison.Ordinal);
        var after = Directory.EnumerateFiles(mount.Path).Where(f => !f.EndsWith("filler", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Select(f => (f, Hashing.Sha256(File.ReadAllBytes(f)))).ToList();
        Assert.Equal(before, after);
    }

    [Fact]
    public void A_read_only_history_folder_is_exit_74_at_once_not_blamed_on_another_run()
    {
        using var mount = new TmpfsMount(sizeKiB: 1024, readOnly: true);
        using var dir = new TempDir();
        var watch = Stopwatch.StartNew();
        var r = CliRunner.Run("run", "--out", dir.Path, "--quiet", "--history", mount.Path, "--history-wait", "60");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"waited {watch.Elapsed}");
        Assert.Equal(ExitCodes.CannotWrite, r.ExitCode);
        Assert.Contains("Read-only file system", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("another audit run", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Temporary_files_of_killed_runs_are_removed_by_the_next_run_and_only_those()
    {
        using var dir = new TempDir();
        var dead = dir.File($".report.html.{int.MaxValue}.{Guid.NewGuid():N}.tmp");
        var live = dir.File($".report.html.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var orphanBackup = dir.File($".junit.xml.{int.MaxValue}.{Guid.NewGuid():N}.bak");
        var foreign = dir.File(".report.html.tmp");
        foreach (var f in new[] { dead, live, orphanBackup, foreign })
        {
            File.WriteAllText(f, "x");
        }
        var r = CliRunner.Run("run", "--out", dir.Path, "--format", "html,json", "--quiet");
        Assert.Equal(ExitCodes.Failed, r.ExitCode);
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live), "a temporary file of a running process is not touched");
        Assert.True(File.Exists(foreign), "a file not named by audit is not touched");
        // A backup whose file is missing (killed between the two renames) is put back.
        Assert.False(File.Exists(orphanBackup));
        Assert.Equal("x", File.ReadAllText(dir.File("junit.xml")));
    }

    [Theory]
    [InlineData("{{ while true }}{{ end }}", "iteration")]
    [InlineData("{{ object.eval '1 + 1' }}", "object.eval")]
    [InlineData("{{ object.eval_template '{{ 1 }}' }}", "object.eval_template")]
    public void Abusive_templates_are_refused_as_template_errors(string template, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("t.sbn"), template);
        var r = CliRunner.Run("run", "--out", dir.File("out"), "--format", "html", "--template", dir.File("t.sbn"), "--quiet");
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("AUD0052", r.Err, StringComparison.Ordinal);
        Assert.Contains(expected, r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_template_with_invalid_utf8_is_refused_at_its_position()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("t.sbn"), [.. "<p>\n<b>"u8.ToArray(), 0xC3, 0x28, .. "</b>"u8.ToArray()]);
        var r = CliRunner.Run("run", "--out", dir.File("out"), "--template", dir.File("t.sbn"), "--quiet");
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("t.sbn(2,4): error AUD0052: invalid UTF-8 byte 0xC3", r.Err, StringComparison.Ordinal);
    }

    /// <summary>Chained Replace calls on fact strings: no literal tells how far they grow, so validate cannot refuse them;
    /// the evaluation budget stops them.</summary>
    internal static string FactBomb(string input)
    {
        var repl = string.Join(" + ", Enumerable.Repeat(input, 8));
        return input + string.Concat(Enumerable.Repeat($".Replace({input}.Substring(0, 1), {repl})", 12)) + ".Length > 0";
    }

    internal static string RuleSet(string id, string scope, string assert) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["apiVersion"] = "audit.hyperv/v1",
        ["kind"] = "RuleSet",
        ["id"] = id.ToLowerInvariant(),
        ["version"] = "1.0.0",
        ["title"] = id,
        ["rules"] = new[] { new Dictionary<string, object> { ["id"] = id + "-001", ["title"] = id, ["severity"] = "low", ["scope"] = scope, ["rationale"] = "an allowed expression that grows",
            ["assert"] = assert, ["message"] = "{entity}", ["remediation"] = "none needed here", ["references"] = new[] { "test" } } },
    });

    [Fact]
    public void A_memory_bomb_validate_can_prove_is_refused_at_load()
    {
        using var dir = new TempDir();
        var grow = string.Concat(Enumerable.Repeat(".Replace(\"x\", \"" + new string('x', 64) + "\")", 9));
        File.WriteAllText(dir.File("bomb.json"), RuleSet("BOMB", "host", "\"xxxxxxxx\"" + grow + ".Length > 0"));
        var r = CliRunner.Run("validate", "--rules", dir.File("bomb.json"));
        Assert.Equal(ExitCodes.InvalidInput, r.ExitCode);
        Assert.Contains("error AUD0021: [BOMB-001] assert: expression is too complex: its chained Replace calls can grow a string more than 1,000,000-fold", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_memory_bomb_on_fact_strings_is_an_error_verdict_and_the_reports_are_written()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("bomb.json"), RuleSet("BOMB", "host", FactBomb("host.Name")));
        Assert.Equal(ExitCodes.Compliant, CliRunner.Run("validate", "--rules", dir.File("bomb.json")).ExitCode);
        var r = CliRunner.Run("evaluate", "--snapshot", RepoPaths.SampleSnapshot, "--rules", dir.File("bomb.json"), "--out", dir.File("out"), "--quiet");
        Assert.Equal(ExitCodes.Incomplete, r.ExitCode);
        var results = JsonSerializer.Deserialize<ResultsDocument>(File.ReadAllBytes(dir.File("out/results.json")), AuditJson.Options)!;
        Assert.All(results.Results, v => Assert.Equal(Outcome.Error, v.Outcome));
        Assert.All(results.Results, v => Assert.Contains("exceeds the evaluation budget", v.Message, StringComparison.Ordinal));
        Assert.True(File.Exists(dir.File("out/report.html")) && File.Exists(dir.File("out/junit.xml")));
    }

    [Fact]
    public void Rule_texts_are_hostile_on_the_terminal_and_in_markdown()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("evil.json"), """
            {
              "apiVersion": "audit.hyperv/v1", "kind": "RuleSet", "id": "evil", "version": "1.0.0", "title": "evil <script>alert(1)</script>",
              "rules": [ {
                "id": "EVIL-001", "title": "title \u001b]0;pwned\u0007 \u001b[2J \u202e reversed \u0085 <img src=x onerror=alert(1)>", "severity": "low", "scope": "host",
                "rationale": "why [click](javascript:alert(1)) <script>alert(2)</script> \u001b[31m",
                "assert": "host.Name != \"`</code><script>alert(3)</script>\"",
                "message": "{entity}", "remediation": "**do** `this` | <b>now</b>", "references": ["<iframe src=x>"]
              } ]
            }
            """);
        var list = CliRunner.Run("rules", "--rules", dir.File("evil.json"));
        Assert.Equal(ExitCodes.Compliant, list.ExitCode);
        foreach (var bad in new[] { '\u001b', '\u0007', '\u202e', '\u0085' })
        {
            Assert.DoesNotContain(bad, list.Out);
        }
        Assert.Contains("\\u001b", list.Out, StringComparison.OrdinalIgnoreCase);

        var docs = CliRunner.Run("rules", "--rules", dir.File("evil.json"), "--docs", dir.File("docs"));
        Assert.Equal(ExitCodes.Compliant, docs.ExitCode);
        // Inside a code span Markdown shows text literally (HTML included); everywhere else no tag may survive.
        const string span = "``host.Name != \"`</code><script>alert(3)</script>\"``";
        foreach (var page in new[] { "EVIL-001.md", "README.md" })
        {
            var md = File.ReadAllText(dir.File("docs/" + page)).Replace(span, "", StringComparison.Ordinal);
            Assert.DoesNotContain("<script", md, StringComparison.Ordinal);
            Assert.DoesNotContain("<img", md, StringComparison.Ordinal);
            Assert.DoesNotContain("<iframe", md, StringComparison.Ordinal);
            Assert.DoesNotContain('\u001b', md);
            Assert.DoesNotContain('\u202e', md);
        }
        var rule = File.ReadAllText(dir.File("docs/EVIL-001.md"));
        // The expression's backtick cannot close its code span: the span is fenced with two.
        Assert.Contains(span, rule, StringComparison.Ordinal);
        Assert.Contains("why \\[click\\](javascript:alert(1)) &lt;script&gt;alert(2)&lt;/script&gt; \\\\u001B\\[31m", rule, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stopped_run_exits_130_replacing_nothing_and_leaving_no_temporary_file()
    {
        using var dir = new TempDir();
        Assert.Equal(ExitCodes.Failed, CliRunner.Run("run", "--out", dir.Path, "--quiet").ExitCode);
        var before = Directory.EnumerateFiles(dir.Path).Order(StringComparer.Ordinal).Select(f => (f, Hashing.Sha256(File.ReadAllBytes(f)))).ToList();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var o = new StringWriter();
        var e = new StringWriter();
        var env = new CliEnvironment { CurrentDirectory = RepoPaths.Root, Clock = () => new DateTimeOffset(2026, 12, 24, 6, 0, 0, TimeSpan.Zero), GetVariable = _ => null };
        var code = CliApp.Run(["run", "--out", dir.Path, "--quiet"], o, e, env, cancelled.Token);
        Assert.Equal(ExitCodes.Interrupted, code);
        Assert.Contains("stopped", e.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, Directory.EnumerateFiles(dir.Path).Order(StringComparer.Ordinal).Select(f => (f, Hashing.Sha256(File.ReadAllBytes(f)))).ToList());
    }

    [Fact]
    public async Task Sigterm_during_a_long_render_exits_143_promptly_and_the_previous_report_stays()
    {
        using var dir = new TempDir();
        var dll = Path.Combine(AppContext.BaseDirectory, "audit.dll");
        Assert.Equal(ExitCodes.Failed, CliRunner.Run("run", "--out", dir.File("out"), "--quiet").ExitCode);
        var before = Hashing.Sha256(File.ReadAllBytes(dir.File("out/report.html")));
        // One loop just under the per-loop limit: about ten seconds of work for the template engine here.
        File.WriteAllText(dir.File("slow.sbn"), "{{ for i in 1..9900000 }}{{ y = i * 2 + i % 7; z = y / 3 + y % 5 }}{{ end }}");
        var psi = new ProcessStartInfo("dotnet", ["exec", dll, "run", "--out", dir.File("out"), "--template", dir.File("slow.sbn"), "--quiet"])
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(p.HasExited, "the render finished before it could be stopped: " + (p.HasExited ? await err : ""));
        Sh("/usr/bin/kill", "-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var watch = Stopwatch.StartNew();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "did not stop within 30 s");
        Assert.Equal(ExitCodes.Terminated, p.ExitCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed} to stop");
        Assert.Equal(before, Hashing.Sha256(File.ReadAllBytes(dir.File("out/report.html"))));
        Assert.Empty(Directory.EnumerateFiles(dir.File("out"), "*.tmp"));
    }

    [Theory]
    [InlineData("collect", "--password", "S3cret-Pa55!", "--out", "x.json")]
    [InlineData("collect", "--password=S3cret-Pa55!", "--out", "x.json")]
    [InlineData("run", "--directory-secret", "S3cret-Pa55!")]
    [InlineData("collect", "--directory", "ldaps://127.0.0.1:1", "--directory-user", "admin@lab.test", "--directory-password-env", "S3cret-Pa55!", "--out", "x.json")]
    [InlineData("collect", "--hosts", "h1", "--user", "admin", "--password-env", "S3cret-Pa55!", "--out", "x.json")]
    public void A_secret_given_where_it_does_not_belong_is_never_echoed(params string[] args)
    {
        using var dir = new TempDir();
        var r = CliRunner.RunIn(dir.Path, args);
        // Usage, or (host collection on Linux) "not possible here": never a crash, never the secret.
        Assert.True(r.ExitCode is ExitCodes.Usage or ExitCodes.Unsupported, $"exit {r.ExitCode}: {r.Err}");
        Assert.DoesNotContain("S3cret-Pa55!", r.Out + r.Err, StringComparison.Ordinal);
    }

    /// <summary>A small tmpfs of the test's own, unmounted when disposed (needs root, as the Samba tests do).</summary>
    private sealed class TmpfsMount : IDisposable
    {
        private readonly TempDir _dir = new("audit-tmpfs");

        public TmpfsMount(int sizeKiB, bool readOnly = false)
        {
            Assert.True(Environment.IsPrivilegedProcess, "mounting a test tmpfs needs root: run ./test.sh as root or with sudo");
            Sh("/usr/bin/mount", "-t", "tmpfs", "-o", $"size={sizeKiB}k{(readOnly ? ",ro" : "")}", "audit-test", _dir.Path);
        }

        public string Path => _dir.Path;

        /// <summary>Fills the file system, leaving about <paramref name="leaveKiB"/> KiB free.</summary>
        public void Fill(int leaveKiB)
        {
            var free = new DriveInfo(Path).AvailableFreeSpace;
            using var f = File.Create(System.IO.Path.Combine(Path, "filler"));
            var chunk = new byte[4096];
            for (var left = free - (leaveKiB * 1024L); left > 0; left -= chunk.Length)
            {
                f.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
            }
        }

        public void Dispose()
        {
            Sh("/usr/bin/umount", _dir.Path);
            _dir.Dispose();
        }
    }
}
