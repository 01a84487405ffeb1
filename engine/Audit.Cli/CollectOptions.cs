using System.CommandLine;
using System.CommandLine.Parsing;
using Audit.Collectors.Estate;

namespace Audit.Cli;

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
    public bool Requested(SymbolResult r) =>
        (V(r, Hosts)?.Length ?? 0) > 0 || V(r, HostsFile) is not null || V(r, Local) || V(r, Directory) is not null;

    /// <summary>Checks the options together while parsing (<see cref="CollectRequest.Problems"/>: exit 64 before any work);
    /// <paramref name="whenRequested"/>: only when <see cref="Requested"/> ('run' ignores them otherwise).</summary>
    public void Validate(Command cmd, CliContext ctx, bool whenRequested)
    {
        OptionChecks.Validate(cmd, r =>
        {
            if (!whenRequested || Requested(r))
            {
                foreach (var problem in Request(r, ctx).Problems())
                {
                    r.AddError(problem);
                }
            }
        });
    }

    /// <summary>The request the options make, with what the CLI knows of its surroundings.</summary>
    public CollectRequest Request(SymbolResult r, CliContext ctx) => new()
    {
        Hosts = V(r, Hosts) ?? [],
        HostsFile = V(r, HostsFile),
        Local = V(r, Local),
        Parallel = V(r, Parallel),
        TimeoutSeconds = V(r, Timeout),
        OperationTimeoutSeconds = V(r, OpTimeout),
        Dcom = V(r, Dcom),
        User = V(r, User),
        PasswordEnv = V(r, PasswordEnv),
        Directory = V(r, Directory),
        DirectoryBase = V(r, DirectoryBase),
        DirectoryUser = V(r, DirectoryUser),
        DirectoryPasswordEnv = V(r, DirectoryPasswordEnv),
        DirectoryCa = V(r, DirectoryCa),
        DirectoryStartTls = V(r, DirectoryStartTls),
        Out = V(r, Output) ?? "snapshot.json",
        Port = V(r, Port),
        Https = V(r, Https),
        Transport = V(r, Transport),
        Auth = V(r, Auth) ?? "negotiate",
        Ca = V(r, Ca),
        Preflight = V(r, Preflight),
        Record = V(r, Record),
        Replay = V(r, Replay),
        Resolve = ctx.Env.Resolve,
        GetVariable = ctx.Env.GetVariable,
        PasswordFor = Console.IsInputRedirected ? null : user => CollectRun.PromptPassword(ctx, user),
        Sessions = ctx.Env.CimSessionFactory,
        CanUseMi = ctx.Env.CanCollectCim,
        Clock = ctx.Env.Clock,
        ToolVersion = ctx.Env.Build.Version,
    };

    private static T? V<T>(SymbolResult r, Option<T> option) => OptionChecks.ValueOf(r, option);
}
