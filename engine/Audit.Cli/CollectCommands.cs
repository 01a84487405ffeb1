using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Audit.Collectors.Cim;
using Audit.Collectors.Directory;
using Audit.Collectors.Estate;
using Audit.Collectors.Inventory;
using Audit.Collectors.Preflight;
using Audit.Collectors.Recording;
using Audit.Collectors.WsMan;
using Audit.Core;
using Audit.Core.Loading;
using Audit.Core.Snapshots;

namespace Audit.Cli;

/// <summary>`audit collect` (hosts over CIM, directory over LDAP) and `audit snapshot merge`.</summary>
internal static class CollectCommands
{
    public const string PlatformMessage =
        "audit: --transport mi, --dcom and --local need Windows (CIM through Microsoft.Management.Infrastructure cannot run on this platform): run 'audit collect' on a Windows machine and evaluate the snapshot anywhere with 'audit evaluate --snapshot FILE', or reach hosts over WinRM from here with our WS-Management client, the default here ('--transport wsman'; Kerberos: a ticket from kinit, or --user and --password-env).";

    public static IEnumerable<Command> All(CliContext ctx)
    {
        yield return Collect(ctx);
        yield return Snapshot(ctx);
    }

    private static Command Collect(CliContext ctx)
    {
        var cmd = new Command("collect", """
            Collect host facts over CIM (Windows only: WinRM by default) and/or directory facts over LDAP (any platform) into a snapshot.
            Every host requested appears in the snapshot, with a status per collector (ok, error with the CIM code, unsupported with the reason).
            --preflight only connects and reads one thing per namespace, and prints a table host x check with the fix for each failure.
            --record DIR keeps every raw answer per host (DIR/HOST.cim.json); --replay DIR plays such recordings through the same collectors, on any OS.
            Exit codes: 0 everything collected (with --preflight: every host ready); 2 snapshot written but some collection failed or was cancelled (Ctrl+C), or a host not ready; 64 usage error; 65 invalid hosts file or recording; 69 hosts requested on a platform where CIM cannot run; 74 the recording cannot be written (it would hold the password).
            """);
        var o = new CollectOptions();
        o.AddTo(cmd, withOut: true);
        o.AddCollectOnly(cmd);
        o.GroupInHelp(cmd, "Collection options");
        cmd.SetAction(r => new CollectRun(ctx).Run(o.Parse(r)));
        return cmd;
    }

    private static Command Snapshot(CliContext ctx)
    {
        var cmd = new Command("snapshot", "Work with snapshot files.");
        var merge = new Command("merge", "Join snapshots collected separately into one estate. A host in two inputs is an error (AUD0040, exit 65), never overwritten; directories of the same domain are joined.");
        var inputs = new Argument<string[]>("SNAPSHOT") { Description = "Snapshot files to join (two or more).", Arity = new ArgumentArity(2, 1000) };
        var output = new Option<string>("--out") { Description = "Merged snapshot to write.", HelpName = "FILE", Required = true };
        merge.Arguments.Add(inputs);
        merge.Options.Add(output);
        merge.SetAction(r => Merge(ctx, r.GetValue(inputs) ?? [], r.GetValue(output)!));
        cmd.Subcommands.Add(merge);
        return cmd;
    }

    private static int Merge(CliContext ctx, string[] inputs, string output)
    {
        var loaded = new List<LoadedJson<Snapshot>>();
        var diagnostics = new List<Diagnostic>();
        foreach (var input in inputs)
        {
            try
            {
                loaded.Add(SnapshotLoader.Load(ctx.Env.Resolve(input), displayPath: input));
            }
            catch (InputException e)
            {
                diagnostics.AddRange(e.Diagnostics);
            }
        }
        if (diagnostics.Count > 0)
        {
            throw new InputException(diagnostics);
        }
        var merged = SnapshotMerger.Merge(loaded, new ToolInfo { Name = "audit", Version = ctx.Env.Build.Version });
        var path = ctx.Env.Resolve(output);
        WriteSnapshot(path, output, merged);
        ctx.Out.WriteLine(CliContext.Sanitize($"Merged {inputs.Length} snapshots: {merged.Hosts.Count} hosts{(merged.Directory is null ? "" : $", directory {merged.Directory.Domain}")}{(merged.Complete ? "" : " (incomplete: an input was incomplete)")}; wrote {output}"));
        return ExitCodes.Compliant;
    }

    internal static void WriteSnapshot(string path, string display, Snapshot snapshot)
    {
        try
        {
            var dir = Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }
            AtomicFile.Write(path, s => JsonSerializer.Serialize(s, snapshot, AuditJson.Options));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write '{display}': {e.Message}");
        }
    }
}

internal sealed record CollectSettings
{
    public IReadOnlyList<string> Hosts { get; init; } = [];
    public string? HostsFile { get; init; }
    public bool Local { get; init; }
    public int Parallel { get; init; } = 16;
    public int TimeoutSeconds { get; init; } = 300;
    public int OperationTimeoutSeconds { get; init; } = 60;
    public bool Dcom { get; init; }
    public string? User { get; init; }
    public string? PasswordEnv { get; init; }
    public string? Directory { get; init; }
    public string? DirectoryBase { get; init; }
    public string? DirectoryUser { get; init; }
    public string? DirectoryPasswordEnv { get; init; }
    public string? DirectoryCa { get; init; }
    public bool DirectoryStartTls { get; init; }
    public string Out { get; init; } = "snapshot.json";
    public int? Port { get; init; }
    public bool Https { get; init; }
    /// <summary>mi or wsman; null: <see cref="CollectRun.DefaultTransport"/> (mi on Windows, wsman elsewhere).</summary>
    public string? Transport { get; init; }
    public string Auth { get; init; } = "negotiate";
    public string? Ca { get; init; }
    public bool Preflight { get; init; }
    public string? Record { get; init; }
    public string? Replay { get; init; }
}

/// <summary>The collection options, shared by 'collect' and 'run' (which collects first when hosts or a directory are given).</summary>
internal sealed class CollectOptions
{
    public Option<string[]> Hosts { get; } = new Option<string[]>("--hosts") { Description = "Hosts to collect: comma-separated, repeatable; each host, host:port or [IPv6]:port (that host's own WinRM port, over --port).", HelpName = "HOSTS" };
    public Option<string?> HostsFile { get; } = new Option<string?>("--hosts-file") { Description = "Hosts file: one name per line (# comments), or JSON {\"hosts\":[{\"name\",\"cluster\",\"migrationGroup\"}]}.", HelpName = "FILE" };
    public Option<bool> Local { get; } = new Option<bool>("--local") { Description = "Collect this machine through a local CIM session." };
    public Option<int> Parallel { get; } = new Option<int>("--parallel") { Description = "Hosts collected at the same time.", HelpName = "N", DefaultValueFactory = _ => 16 };
    public Option<int> Timeout { get; } = new Option<int>("--timeout") { Description = "Seconds one host may take in total.", HelpName = "SECONDS", DefaultValueFactory = _ => 300 };
    public Option<int> OpTimeout { get; } = new Option<int>("--operation-timeout") { Description = "Seconds one CIM operation may take; transient failures are retried once.", HelpName = "SECONDS", DefaultValueFactory = _ => 60 };
    public Option<bool> Dcom { get; } = new Option<bool>("--dcom") { Description = "Use DCOM instead of WS-Management (WinRM), with packet privacy (encrypted) as PowerShell uses it." };
    public Option<int?> Port { get; } = new Option<int?>("--port") { Description = "WinRM port. [default: 5985, or 5986 with --https]", HelpName = "PORT" };
    public Option<bool> Https { get; } = new Option<bool>("--https") { Description = "WinRM over HTTPS; the host's certificate must be trusted by this machine and name the host." };
    public Option<string?> Transport { get; } = Choice("--transport", "TRANSPORT",
        "mi: Microsoft.Management.Infrastructure (Windows; WinRM or DCOM). wsman: our own WS-Management client, any OS (Kerberos, messages sealed over HTTP; or --https, with Kerberos or --auth basic). [default: mi on Windows, wsman elsewhere]",
        null, "mi", "wsman");
    public Option<string?> Auth { get; } = Choice("--auth", "AUTH",
        "--transport wsman: negotiate (Kerberos: the current identity, or --user) or basic (HTTPS only; local accounts of the host).",
        "negotiate", "negotiate", "basic");
    public Option<string?> Ca { get; } = new Option<string?>("--ca") { Description = "PEM file of the CA to trust (only it) for the hosts' HTTPS certificates (--transport wsman).", HelpName = "FILE" };
    public Option<bool> Preflight { get; } = new Option<bool>("--preflight") { Description = "Only check that each host can be collected: connect, read one thing per namespace, print a table with the fix for each failure. Exit 0 when every host is ready." };
    public Option<string?> Record { get; } = new Option<string?>("--record") { Description = "Also write every raw CIM answer per host into DIR (HOST.cim.json, schema cimrecording.v1); refused if the password would appear in it.", HelpName = "DIR" };
    public Option<string?> Replay { get; } = new Option<string?>("--replay") { Description = "Collect from recordings in DIR instead of hosts (any OS): the snapshot the recorded run would have written. Hosts: those recorded, or --hosts.", HelpName = "DIR" };
    public Option<string?> User { get; } = new Option<string?>("--user") { Description = "Connect to hosts as DOMAIN\\user. [default: the current Windows identity]", HelpName = "USER" };
    public Option<string?> PasswordEnv { get; } = new Option<string?>("--password-env") { Description = "Name of the environment variable holding --user's password (otherwise prompted; never on the command line).", HelpName = "NAME" };
    public Option<string?> Directory { get; } = new Option<string?>("--directory") { Description = "Read computer accounts and delegation from Active Directory: ldap://host[:port] or ldaps://host[:port].", HelpName = "URI" };
    public Option<string?> DirectoryBase { get; } = new Option<string?>("--directory-base") { Description = "Search base DN. [default: the server's defaultNamingContext]", HelpName = "DN" };
    public Option<string?> DirectoryUser { get; } = new Option<string?>("--directory-user") { Description = "Simple-bind user (user@domain, DOMAIN\\user or a DN). [default: the current Kerberos identity]", HelpName = "USER" };
    public Option<string?> DirectoryPasswordEnv { get; } = new Option<string?>("--directory-password-env") { Description = "Name of the environment variable holding the bind password (otherwise prompted).", HelpName = "NAME" };
    public Option<string?> DirectoryCa { get; } = new Option<string?>("--directory-ca") { Description = "PEM file of the CA to trust (only it) for LDAPS / StartTLS.", HelpName = "FILE" };
    public Option<bool> DirectoryStartTls { get; } = new Option<bool>("--directory-starttls") { Description = "Upgrade ldap:// with StartTLS before binding." };
    public Option<string> Output { get; } = new Option<string>("--out") { Description = "Snapshot file to write.", HelpName = "FILE", DefaultValueFactory = _ => "snapshot.json" };

    /// <summary>An option taking one of <paramref name="values"/>; <paramref name="defaultValue"/> null: decided later, when not given.</summary>
    private static Option<string?> Choice(string name, string helpName, string description, string? defaultValue, params string[] values)
    {
        var o = new Option<string?>(name) { Description = description, HelpName = helpName };
        if (defaultValue is not null)
        {
            o.DefaultValueFactory = _ => defaultValue;
        }
        o.AcceptOnlyFromAmong(values);
        return o;
    }

    public void AddTo(Command cmd, bool withOut)
    {
        foreach (var o in new Option[] { Hosts, HostsFile, Local, Parallel, Timeout, OpTimeout, Dcom, Port, Https, Transport, Auth, Ca, User, PasswordEnv, Directory, DirectoryBase, DirectoryUser, DirectoryPasswordEnv, DirectoryCa, DirectoryStartTls })
        {
            cmd.Options.Add(o);
        }
        if (withOut)
        {
            cmd.Options.Add(Output);
        }
    }

    /// <summary>Options of 'collect' alone: preflight, record and replay.</summary>
    public void AddCollectOnly(Command cmd)
    {
        foreach (var o in new Option[] { Preflight, Record, Replay })
        {
            cmd.Options.Add(o);
        }
    }

    /// <summary>Titled option groups in help: what to collect, how to reach hosts, time bounds, the directory, (collect) outputs.</summary>
    public void GroupInHelp(Command cmd, string collectTitle)
    {
        HelpLayout.Group(cmd, collectTitle, Hosts, HostsFile, Local, Replay, Preflight);
        HelpLayout.Group(cmd, "Host connection options", Transport, Dcom, Port, Https, Auth, Ca, User, PasswordEnv);
        HelpLayout.Group(cmd, "Pace and time bound options", Parallel, Timeout, OpTimeout);
        HelpLayout.Group(cmd, "Directory (LDAP) options", Directory, DirectoryBase, DirectoryUser, DirectoryPasswordEnv, DirectoryCa, DirectoryStartTls);
        HelpLayout.Group(cmd, "Output options", Output, Record);
    }

    /// <summary>True when the command line asks for any collection (hosts, local machine or directory).</summary>
    public bool Requested(ParseResult r) =>
        (r.GetValue(Hosts)?.Length ?? 0) > 0 || r.GetValue(HostsFile) is not null || r.GetValue(Local) || r.GetValue(Directory) is not null;

    public CollectSettings Parse(ParseResult r) => new()
    {
        Hosts = r.GetValue(Hosts) ?? [],
        HostsFile = r.GetValue(HostsFile),
        Local = r.GetValue(Local),
        Parallel = r.GetValue(Parallel),
        TimeoutSeconds = r.GetValue(Timeout),
        OperationTimeoutSeconds = r.GetValue(OpTimeout),
        Dcom = r.GetValue(Dcom),
        User = r.GetValue(User),
        PasswordEnv = r.GetValue(PasswordEnv),
        Directory = r.GetValue(Directory),
        DirectoryBase = r.GetValue(DirectoryBase),
        DirectoryUser = r.GetValue(DirectoryUser),
        DirectoryPasswordEnv = r.GetValue(DirectoryPasswordEnv),
        DirectoryCa = r.GetValue(DirectoryCa),
        DirectoryStartTls = r.GetValue(DirectoryStartTls),
        Out = r.GetValue(Output) ?? "snapshot.json",
        Port = r.GetValue(Port),
        Https = r.GetValue(Https),
        Transport = r.GetValue(Transport),
        Auth = r.GetValue(Auth) ?? "negotiate",
        Ca = r.GetValue(Ca),
        Preflight = r.GetValue(Preflight),
        Record = r.GetValue(Record),
        Replay = r.GetValue(Replay),
    };
}

internal sealed class CollectRun(CliContext ctx)
{
    public int Run(CollectSettings s)
    {
        var replay = s.Replay is null ? null : ReplayCimSessionFactory.Load(ctx.Env.Resolve(s.Replay), s.Replay);
        var inventory = Inventory(s);
        if (replay is not null && inventory.Count == 0)
        {
            inventory = replay.Hosts;
        }
        s = s with { Transport = s.Transport ?? DefaultTransport(s) };
        CheckUsage(s, inventory);
        var wsman = s.Transport == "wsman";
        if (inventory.Count > 0 && replay is null && !wsman && !ctx.Env.CanCollectCim && ctx.Env.CimSessionFactory is null)
        {
            ctx.Err.WriteLine(CollectCommands.PlatformMessage);
            return ExitCodes.Unsupported;
        }
        if (s.Record is not null)
        {
            EnsureFolder(s.Record, "--record");
        }
        // A replay writes the snapshot the recorded run wrote: its time and machine, not ours.
        var collectedAt = replay?.RecordedAt ?? ctx.Env.Clock();
        using var wsmanFactory = wsman && replay is null ? new WsManCimSessionFactory() : null;
        ICimSessionFactory factory = replay ?? wsmanFactory ?? ctx.Env.CimSessionFactory ?? new MiCimSessionFactory();
        RecordingCimSessionFactory? recorder = null;
        if (s.Record is not null && inventory.Count > 0)
        {
            recorder = new RecordingCimSessionFactory(factory, new RecordedBy { Tool = "audit", Version = ctx.Env.Build.Version, Machine = Environment.MachineName, Os = System.Runtime.InteropServices.RuntimeInformation.OSDescription }, () => collectedAt);
            foreach (var h in inventory)
            {
                recorder.Expect(h);
            }
            factory = recorder;
        }
        var runOptions = inventory.Count == 0 ? null : new CollectionRunOptions
        {
            Parallel = s.Parallel,
            HostTimeout = TimeSpan.FromSeconds(s.TimeoutSeconds),
            OperationTimeout = TimeSpan.FromSeconds(s.OperationTimeoutSeconds),
            Connection = replay is null ? Connection(s) : new CimConnectionOptions { OperationTimeout = TimeSpan.FromSeconds(s.OperationTimeoutSeconds) },
        };
        if (s.Preflight)
        {
            var checks = new PreflightRunner(factory).RunAsync(inventory, runOptions!, ctx.Cancel).GetAwaiter().GetResult();
            foreach (var line in PreflightRunner.Format(checks).Split('\n').SkipLast(1))
            {
                ctx.Out.WriteLine(CliContext.Sanitize(line));
            }
            var recorded = SaveRecording(recorder, s.Record);
            return recorded != ExitCodes.Compliant ? recorded : checks.All(c => c.Ready) ? ExitCodes.Compliant : ExitCodes.Incomplete;
        }
        var outPath = ctx.Env.Resolve(s.Out);
        EnsureFolder(Path.GetDirectoryName(s.Out) is { Length: > 0 } d ? d : ".", "--out");
        var directoryOptions = s.Directory is null ? null : DirectoryOptions(s);

        var progress = new ProgressPrinter(ctx);
        var collected = new EstateCollector(factory).CollectAsync(new EstateRequest
        {
            Hosts = inventory,
            HostOptions = runOptions,
            Directory = directoryOptions,
            CollectedAt = collectedAt,
            Collector = new ToolInfo { Name = "audit", Version = ctx.Env.Build.Version, Machine = replay is null ? Environment.MachineName : replay.RecordedOn },
        }, progress, ctx.Cancel).GetAwaiter().GetResult();
        progress.Finish();
        CollectCommands.WriteSnapshot(outPath, s.Out, collected.Snapshot);
        ctx.Out.WriteLine(CliContext.Sanitize($"Collected {collected.Describe(inventory.Count > 0)}{(collected.Snapshot.Complete ? "" : " (INCOMPLETE: cancelled)")}; wrote {s.Out}"));
        if (replay is not null && replay.Misses.Count > 0)
        {
            ctx.Err.WriteLine(CliContext.Sanitize($"audit: {replay.Misses.Count} question(s) the recordings do not answer (errors in the snapshot), first: {replay.Misses[0]}"));
        }
        var saved = SaveRecording(recorder, s.Record);
        if (saved != ExitCodes.Compliant)
        {
            return saved;
        }
        return collected.Clean ? ExitCodes.Compliant : ExitCodes.Incomplete;
    }

    /// <summary>
    /// Issue 17: MI on Windows, WS-Management elsewhere. --dcom and --local exist only in MI, so they keep MI (and its
    /// exit 69 off Windows); so does an injected CIM session factory (tests' stand-in for MI).
    /// </summary>
    internal string DefaultTransport(CollectSettings s) =>
        ctx.Env.CanCollectCim || ctx.Env.CimSessionFactory is not null || s.Dcom || s.Local ? "mi" : "wsman";

    private static void CheckUsage(CollectSettings s, IReadOnlyList<InventoryHost> inventory)
    {
        if (inventory.Count == 0 && s.Directory is null)
        {
            throw new UsageException(s.Replay is null
                ? "nothing to collect: give --hosts, --hosts-file, --local and/or --directory"
                : "nothing to collect: the recordings name no host");
        }
        if (s.Parallel is < 1 or > 1024)
        {
            throw new UsageException($"--parallel {s.Parallel} must be between 1 and 1024");
        }
        if (s.TimeoutSeconds < 1 || s.OperationTimeoutSeconds < 1)
        {
            throw new UsageException("--timeout and --operation-timeout must be at least 1 second");
        }
        if (s.Port is { } port && port is < 1 or > 65535)
        {
            throw new UsageException($"--port {port} must be between 1 and 65535");
        }
        if (s.Dcom && (s.Https || s.Port is not null || s.Transport == "wsman"))
        {
            throw new UsageException("--https, --port and --transport wsman apply to WinRM (WS-Management), not to --dcom");
        }
        if (s.Ca is not null && s.Transport != "wsman")
        {
            throw new UsageException("--ca applies to --transport wsman (with MI, Windows' own trust store decides)");
        }
        if (s.Auth == "basic" && (s.Transport != "wsman" || !s.Https))
        {
            throw new UsageException("--auth basic needs --transport wsman and --https (Basic would send the password in clear text otherwise)");
        }
        if (s.Preflight && inventory.Count == 0)
        {
            throw new UsageException("--preflight checks hosts: give --hosts, --hosts-file or --local (a directory is checked by collecting it)");
        }
        if (s.Replay is not null && s.Record is not null)
        {
            throw new UsageException("--record and --replay cannot be combined: a replay only plays what was recorded");
        }
    }

    private void EnsureFolder(string display, string option)
    {
        try
        {
            AtomicFile.EnsureWritableDirectory(ctx.Env.Resolve(display));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write to the folder of {option} '{display}': {e.Message}");
        }
    }

    /// <summary>Writes the recording when one was asked for; 74 (nothing written) when it would hold the password.</summary>
    private int SaveRecording(RecordingCimSessionFactory? recorder, string? folder)
    {
        if (recorder is null || folder is null)
        {
            return ExitCodes.Compliant;
        }
        try
        {
            var files = recorder.Save(ctx.Env.Resolve(folder));
            ctx.Out.WriteLine(CliContext.Sanitize($"Recorded {files.Count} host(s) into {folder}"));
            return ExitCodes.Compliant;
        }
        catch (RecordingRefusedException e)
        {
            ctx.Err.WriteLine(CliContext.Sanitize($"audit: error {DiagnosticCodes.CannotWrite}: {e.Message}"));
            return ExitCodes.CannotWrite;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ctx.Err.WriteLine(CliContext.Sanitize($"audit: error {DiagnosticCodes.CannotWrite}: cannot write the recording into '{folder}': {e.Message}"));
            return ExitCodes.CannotWrite;
        }
    }

    private IReadOnlyList<InventoryHost> Inventory(CollectSettings s)
    {
        var parts = new List<IReadOnlyList<InventoryHost>>();
        if (s.HostsFile is not null)
        {
            parts.Add(InventoryLoader.Load(ctx.Env.Resolve(s.HostsFile), s.HostsFile));
        }
        if (s.Hosts.Count > 0)
        {
            try
            {
                parts.Add(InventoryLoader.ParseList(s.Hosts));
            }
            catch (InputException e)
            {
                throw new UsageException(e.Diagnostics[0].Message);
            }
        }
        if (s.Local)
        {
            parts.Add([new InventoryHost { Name = Environment.MachineName, Local = true }]);
        }
        return InventoryLoader.Combine([.. parts]);
    }

    private CimConnectionOptions Connection(CollectSettings s)
    {
        string? password = null;
        if (s.User is not null)
        {
            if (s.PasswordEnv is null && !Console.IsInputRedirected)
            {
                password = PromptPassword(s.User);
            }
            else if (s.PasswordEnv is null)
            {
                throw new UsageException($"--user {s.User} needs a password: put it in an environment variable and name it with --password-env NAME (never on the command line)");
            }
            else
            {
                password = ctx.Env.GetVariable(s.PasswordEnv);
                if (string.IsNullOrEmpty(password))
                {
                    throw new UsageException("the environment variable named by --password-env is not set or empty (its name is not repeated here, in case a password was given by mistake)");
                }
            }
        }
        else if (s.PasswordEnv is not null)
        {
            throw new UsageException("--password-env needs --user");
        }
        return new CimConnectionOptions
        {
            Protocol = s.Dcom ? CimProtocol.Dcom : CimProtocol.WsMan,
            User = s.User,
            Password = password,
            OperationTimeout = TimeSpan.FromSeconds(s.OperationTimeoutSeconds),
            Port = s.Port,
            UseSsl = s.Https,
            CaFile = CaFile(s),
            Authentication = s.Auth == "basic" ? WsManAuthentication.Basic : WsManAuthentication.Negotiate,
        };
    }

    private string? CaFile(CollectSettings s)
    {
        if (s.Ca is null)
        {
            return null;
        }
        var path = ctx.Env.Resolve(s.Ca);
        if (!File.Exists(path))
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.FileNotFound, DiagnosticLevel.Error, "CA file given with --ca not found", s.Ca));
        }
        try
        {
            var roots = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            roots.ImportFromPemFile(path);
            return roots.Count > 0 ? path : throw new System.Security.Cryptography.CryptographicException("the file holds no PEM certificate");
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.InvalidInput, DiagnosticLevel.Error, $"CA file given with --ca cannot be used: {e.Message}", s.Ca));
        }
    }

    /// <summary>Reads the hosts' password from the terminal without echo.</summary>
    private string PromptPassword(string user)
    {
        ctx.Err.Write(CliContext.Sanitize($"Password for {user} (hosts): "));
        var password = new System.Text.StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace)
            {
                password.Length = Math.Max(0, password.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }
        ctx.Err.WriteLine();
        return password.Length > 0 ? password.ToString() : throw new UsageException($"an empty password was entered for {user}");
    }

    private DirectoryCollectorOptions DirectoryOptions(CollectSettings s)
    {
        if (!Uri.TryCreate(s.Directory, UriKind.Absolute, out var uri) || uri.Scheme is not ("ldap" or "ldaps"))
        {
            throw new UsageException($"--directory '{s.Directory}' must be ldap://host[:port] or ldaps://host[:port]");
        }
        if (s.DirectoryStartTls && uri.Scheme == "ldaps")
        {
            throw new UsageException("--directory-starttls applies to ldap:// only (ldaps:// is TLS from the start)");
        }
        string? caFile = null;
        if (s.DirectoryCa is not null)
        {
            caFile = ctx.Env.Resolve(s.DirectoryCa);
            if (!File.Exists(caFile))
            {
                throw new InputException(new Diagnostic(DiagnosticCodes.FileNotFound, DiagnosticLevel.Error, "CA file given with --directory-ca not found", s.DirectoryCa));
            }
        }
        string? password = null;
        if (s.DirectoryUser is not null)
        {
            if (uri.Scheme == "ldap" && !s.DirectoryStartTls)
            {
                var w = new Diagnostic(DiagnosticCodes.InsecureDirectoryBind, DiagnosticLevel.Warning,
                    $"a simple bind as {s.DirectoryUser} to {uri.Scheme}://{uri.Authority} sends the password in clear text: use ldaps:// or --directory-starttls");
                ctx.Err.WriteLine(CliContext.Sanitize(w.ToString()));
            }
            try
            {
                password = DirectoryPasswordResolver.Resolve(s.DirectoryPasswordEnv, s.DirectoryUser, getEnvironment: ctx.Env.GetVariable);
            }
            catch (InputException e)
            {
                // A missing password is a matter of how audit was called (64), not of an input file (65).
                throw new UsageException(e.Diagnostics[0].Message);
            }
        }
        else if (s.DirectoryPasswordEnv is not null)
        {
            throw new UsageException("--directory-password-env needs --directory-user");
        }
        return new DirectoryCollectorOptions
        {
            Server = uri,
            BaseDn = s.DirectoryBase,
            User = s.DirectoryUser,
            Password = password,
            CaFile = caFile,
            StartTls = s.DirectoryStartTls,
            UseCurrentIdentity = s.DirectoryUser is null,
        };
    }

    /// <summary>Hosts done / failed / in flight: one rewritten line when standard error is a terminal, one plain line per host otherwise (logs).</summary>
    private sealed class ProgressPrinter(CliContext ctx) : IProgress<CollectionProgress>
    {
        private readonly Lock _gate = new();
        private bool _wroteLine;

        public void Report(CollectionProgress p)
        {
            lock (_gate)
            {
                var counts = string.Create(CultureInfo.InvariantCulture, $"{p.Done}/{p.Total} done, {p.Failed} failed, {p.InFlight} in flight");
                if (ctx.Env.IsErrorTerminal)
                {
                    ctx.Err.Write("\r" + CliContext.Sanitize($"collecting: {counts}   "));
                    _wroteLine = true;
                }
                else
                {
                    ctx.Err.WriteLine(CliContext.Sanitize($"audit: {p.Host}: {p.Summary} [{counts}]"));
                }
            }
        }

        public void Finish()
        {
            lock (_gate)
            {
                if (_wroteLine)
                {
                    ctx.Err.WriteLine();
                }
            }
        }
    }
}
