using System.Globalization;
using Audit.Collectors.Cim;
using Audit.Collectors.Directory;
using Audit.Collectors.Estate;
using Audit.Collectors.Inventory;
using Audit.Collectors.Preflight;
using Audit.Collectors.Recording;
using Audit.Collectors.WsMan;
using Audit.Core;
using Audit.Core.Snapshots;

namespace Audit.Cli;

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
