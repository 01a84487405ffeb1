using System.Text.RegularExpressions;
using System.Xml.Linq;
using Audit.Tests.Common;

namespace Audit.Cli.Tests;

/// <summary>PowerShell 7 (the PowerShell .NET tool from NuGet), installed once into a folder of the tests' own.</summary>
public sealed class PowerShellFixture : IDisposable
{
    /// <summary>The newest PowerShell the .NET 10 runtime runs (7.6 LTS); pinned, so the tests do not change under us.</summary>
    public const string Version = "7.6.9";
    private readonly TempDir _dir = new("audit-pwsh");

    public PowerShellFixture()
    {
        var r = ProcessRun.Run(ProcessRun.Dotnet, ["tool", "install", "--tool-path", _dir.Path, "PowerShell", "--version", Version], _dir.Path, TimeSpan.FromMinutes(10));
        Assert.True(r.ExitCode == 0, $"installing PowerShell {Version} as a .NET tool failed: {r}");
        Pwsh = Path.Combine(_dir.Path, "pwsh");
    }

    public string Pwsh { get; }

    /// <summary>pwsh with its caches and settings in the fixture's folder, no telemetry or update check.</summary>
    public ProcessRun.Result Run(string cwd, IReadOnlyDictionary<string, string?> env, params string[] args)
    {
        var all = new Dictionary<string, string?>(env)
        {
            ["POWERSHELL_TELEMETRY_OPTOUT"] = "1",
            ["POWERSHELL_UPDATECHECK"] = "Off",
            ["XDG_CACHE_HOME"] = Path.Combine(_dir.Path, "cache"),
            ["XDG_CONFIG_HOME"] = Path.Combine(_dir.Path, "config"),
            ["XDG_DATA_HOME"] = Path.Combine(_dir.Path, "data"),
        };
        return ProcessRun.Run(Pwsh, ["-NoProfile", "-NonInteractive", .. args], cwd, TimeSpan.FromMinutes(3), all);
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// samples/nightly: the PowerShell wrapper run for real under PowerShell 7 on Linux (evaluating the sample, with
/// waivers, history, pruning and mail to an SMTP listener of the test's own), the task XML against the wrapper, the
/// systemd units through systemd-analyze verify, and the Linux mail script.
/// Linux only (systemd, /bin/sh, Unix file modes), as the whole test suite.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NightlyRecipeTests(PowerShellFixture powershell) : IClassFixture<PowerShellFixture>
{
    private static readonly string Nightly = Path.Combine(RepoPaths.Samples, "nightly");
    private static readonly string Wrapper = Path.Combine(Nightly, "Invoke-AuditNightly.ps1");
    private static readonly string Waivers = Path.Combine(RepoPaths.Samples, "waivers.json");
    /// <summary>The clock of the in-process runs (CliRunner), given to the processes as SOURCE_DATE_EPOCH.</summary>
    private static readonly string Epoch = new DateTimeOffset(2026, 11, 24, 6, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An 'audit' command for the wrapper: this test build's audit.dll.</summary>
    private static string Launcher(TempDir dir)
    {
        var path = dir.File("audit");
        File.WriteAllText(path, $"#!/bin/sh\nexec '{ProcessRun.Dotnet}' exec '{Path.Combine(AppContext.BaseDirectory, "audit.dll")}' \"$@\"\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public void The_wrapper_keeps_the_last_reports_and_history_exits_with_audits_code_and_mails_each_report()
    {
        using var dir = new TempDir("audit-nightly");
        var work = dir.File("work");
        var foreign = Directory.CreateDirectory(Path.Combine(work, "reports", "keep-me")).FullName;
        using var smtp = new SmtpSink();
        var expected = CliRunner.Run("run", "--waivers", Waivers, "--format", "console", "--quiet");
        var verdict = expected.Out.Split('\n')[0];
        Assert.StartsWith("AUDIT ", verdict, StringComparison.Ordinal);
        var env = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = Epoch, ["NO_COLOR"] = "1" };

        for (var i = 0; i < 3; i++)
        {
            var r = powershell.Run(dir.Path, env, "-File", Wrapper, "-Audit", Launcher(dir), "-Snapshot", RepoPaths.SampleSnapshot, "-WorkRoot", work,
                "-Waivers", Waivers, "-Keep", "2", "-SmtpServer", "127.0.0.1", "-SmtpPort", smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-MailFrom", "audit@example.test", "-MailTo", "ops@example.test");
            Assert.True(r.ExitCode == expected.ExitCode, $"run {i + 1}: {r}");
            Assert.Contains(verdict, r.Out, StringComparison.Ordinal);
            Assert.Contains("Mailed the report to ops@example.test", r.Out, StringComparison.Ordinal);
        }

        var kept = Directory.GetDirectories(Path.Combine(work, "reports")).Select(Path.GetFileName).Where(n => Regex.IsMatch(n!, @"^\d{8}T\d{6}Z(-\d+)?$")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, kept.Count);
        Assert.True(Directory.Exists(foreign), "a folder the wrapper did not make was removed");
        var newest = Path.Combine(work, "reports", kept[^1]!);
        foreach (var file in new[] { "report.html", "results.json", "junit.xml", "audit.log" })
        {
            Assert.True(File.Exists(Path.Combine(newest, file)), $"{file} missing in {newest}");
        }
        Assert.Contains(verdict, File.ReadAllText(Path.Combine(newest, "audit.log")), StringComparison.Ordinal);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(work, "history"), "results-*.json").Length);

        Assert.Equal(3, smtp.Messages.Count);
        var last = smtp.Messages[^1];
        Assert.Equal("<audit@example.test>", last.From);
        Assert.Equal(["<ops@example.test>"], last.To);
        Assert.Contains("[audit]", last.Data, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(Path.Combine(newest, "report.html")), SmtpSink.Attachment(last.Data, "report.html"));
    }

    [Fact]
    public void Every_option_the_wrapper_passes_is_one_audit_run_has()
    {
        var options = Regex.Matches(File.ReadAllText(Wrapper), @"'(--[a-z][a-z0-9-]*)'").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(options.Count >= 12, string.Join(", ", options));
        Assert.Empty(RecipeCommands.Unknown("run", options));
    }

    [Fact]
    public void The_task_runs_the_wrapper_as_a_gmsa_with_parameters_the_wrapper_has()
    {
        var file = Path.Combine(Nightly, "AuditNightly.task.xml");
        var lint = ProcessRun.Run("/usr/bin/xmllint", ["--noout", file], Nightly, TimeSpan.FromMinutes(1));
        Assert.True(lint.ExitCode == 0, $"xmllint (run ./test.sh, which installs libxml2-utils): {lint}");
        XNamespace t = "http://schemas.microsoft.com/windows/2004/02/mit/task";
        var task = XDocument.Load(file).Root!;
        var principal = task.Element(t + "Principals")!.Element(t + "Principal")!;
        Assert.EndsWith("$", principal.Element(t + "UserId")!.Value, StringComparison.Ordinal);
        Assert.Equal("Password", principal.Element(t + "LogonType")!.Value);
        var exec = task.Element(t + "Actions")!.Element(t + "Exec")!;
        Assert.EndsWith(@"\powershell.exe", exec.Element(t + "Command")!.Value, StringComparison.Ordinal);
        var arguments = exec.Element(t + "Arguments")!.Value;
        var script = Regex.Match(arguments, "-File \"([^\"]+)\"(.*)$");
        Assert.True(script.Success, arguments);
        Assert.EndsWith(@"\" + Path.GetFileName(Wrapper), script.Groups[1].Value, StringComparison.Ordinal);
        var given = Regex.Matches(script.Groups[2].Value, @"(?<=\s)-([A-Za-z]+)").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("HostsFile", given);

        // The wrapper's parameters, as PowerShell reads them from its param block.
        var r = powershell.Run(Nightly, new Dictionary<string, string?>(), "-Command", $"(Get-Command -Name '{Wrapper}').Parameters.Keys");
        Assert.True(r.ExitCode == 0, r.ToString());
        var parameters = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Contains("Snapshot", parameters);
        Assert.All(given, p => Assert.Contains(p, parameters));
    }

    [Fact]
    public void The_systemd_units_pass_systemd_analyze_verify_as_shipped_and_with_mail_enabled()
    {
        const string Analyze = "/usr/bin/systemd-analyze";
        Assert.True(File.Exists(Analyze), $"{Analyze} is missing: run ./test.sh, which installs systemd");
        using var dir = new TempDir("audit-systemd");
        var root = dir.Path;
        var units = Directory.CreateDirectory(Path.Combine(root, "etc", "systemd", "system")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "usr", "lib", "systemd"));
        var copy = ProcessRun.Run("/bin/cp", ["-a", "/usr/lib/systemd/system", Path.Combine(root, "usr", "lib", "systemd")], root, TimeSpan.FromMinutes(1));
        Assert.True(copy.ExitCode == 0, copy.ToString());
        // verify checks that ExecStart names an executable: a stand-in at the tool's install path (the command line's
        // options are checked against the CLI below), and the real mail script.
        var opt = Directory.CreateDirectory(Path.Combine(root, "opt", "hyperv-audit")).FullName;
        File.WriteAllText(Path.Combine(opt, "audit"), "#!/bin/sh\nexit 0\n");
        File.Copy(Path.Combine(Nightly, "hyperv-audit-mail.sh"), Path.Combine(opt, "hyperv-audit-mail.sh"));
        foreach (var f in Directory.GetFiles(opt))
        {
            File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        string[] names = ["hyperv-audit.service", "hyperv-audit.timer", "hyperv-audit-mail.service"];
        ProcessRun.Result Verify() => ProcessRun.Run(Analyze, ["verify", $"--root={root}", .. names], root, TimeSpan.FromMinutes(2));

        foreach (var name in names)
        {
            File.Copy(Path.Combine(Nightly, name), Path.Combine(units, name), overwrite: true);
        }
        var shipped = Verify();
        Assert.True(shipped.ExitCode == 0 && shipped.Err.Length == 0, $"as shipped: {shipped}");

        var service = File.ReadAllText(Path.Combine(Nightly, "hyperv-audit.service"));
        var withMail = service.Replace("#OnSuccess=", "OnSuccess=", StringComparison.Ordinal).Replace("#OnFailure=", "OnFailure=", StringComparison.Ordinal);
        Assert.NotEqual(service, withMail);
        File.WriteAllText(Path.Combine(units, "hyperv-audit.service"), withMail);
        var mailing = Verify();
        Assert.True(mailing.ExitCode == 0 && mailing.Err.Length == 0, $"with mail: {mailing}");

        // The check can fail here: a timer with a bad calendar and a service with an unknown key are reported.
        File.WriteAllText(Path.Combine(units, "hyperv-audit.timer"), File.ReadAllText(Path.Combine(Nightly, "hyperv-audit.timer")).Replace("OnCalendar=*-*-* 03:30:00", "OnCalendar=nightly at half past three", StringComparison.Ordinal));
        var broken = Verify();
        Assert.True(broken.ExitCode != 0 || broken.Err.Length > 0, "systemd-analyze verify accepted a broken timer");

        var calls = RecipeCommands.AssertKnown("hyperv-audit.service", service);
        var evaluate = Assert.Single(calls);
        Assert.Equal("evaluate", evaluate.Command);
        Assert.Contains("--history", evaluate.Options);
        Assert.Contains("--waivers", evaluate.Options);
    }

    [Fact]
    public void The_linux_mail_script_sends_the_report_as_an_attachment_through_the_relay()
    {
        using var dir = new TempDir("audit-mail");
        var run = CliRunner.Run("run", "--out", dir.File("out"), "--quiet");
        Assert.Equal(1, run.ExitCode);
        using var smtp = new SmtpSink();
        var env = new Dictionary<string, string?>
        {
            ["SMTP_URL"] = $"smtp://127.0.0.1:{smtp.Port}",
            ["MAIL_FROM"] = "audit@example.test",
            ["MAIL_TO"] = "ops@example.test sec@example.test",
        };
        var r = ProcessRun.Run("/bin/sh", [Path.Combine(Nightly, "hyperv-audit-mail.sh"), dir.File("out")], dir.Path, TimeSpan.FromMinutes(1), env);
        Assert.True(r.ExitCode == 0, $"(curl is installed by ./test.sh) {r}");
        var message = Assert.Single(smtp.Messages);
        Assert.Equal(["<ops@example.test>", "<sec@example.test>"], message.To);
        Assert.Contains("Subject: [audit] noncompliant (", message.Data, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Path, "out", "report.html")), SmtpSink.Attachment(message.Data, "report.html"));
    }
}
