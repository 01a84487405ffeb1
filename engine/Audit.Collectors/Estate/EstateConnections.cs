using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Audit.Collectors.Cim;
using Audit.Collectors.Directory;
using Audit.Core;

namespace Audit.Collectors.Estate;

/// <summary>How a <see cref="CollectRequest"/> reaches the hosts (CIM connection) and the directory (LDAP options).</summary>
internal static class EstateConnections
{
    /// <summary>The hosts' connection: protocol, credentials (the password asked only now), port, TLS and its CA.</summary>
    public static CimConnectionOptions Hosts(CollectRequest request) => new()
    {
        Protocol = request.Dcom ? CimProtocol.Dcom : CimProtocol.WsMan,
        User = request.User,
        Password = request.User is { } user ? Password(request, user) : null,
        OperationTimeout = TimeSpan.FromSeconds(request.OperationTimeoutSeconds),
        Port = request.Port,
        UseSsl = request.Https,
        CaFile = CaFile(request),
        Authentication = request.Auth == "basic" ? WsManAuthentication.Basic : WsManAuthentication.Negotiate,
    };

    /// <summary>From the environment variable named by <see cref="CollectRequest.PasswordEnv"/>, else asked.</summary>
    private static string Password(CollectRequest request, string user)
    {
        if (request.PasswordEnv is null)
        {
            return request.PasswordFor?.Invoke(user)
                ?? throw new CollectRequestException($"--user {user} needs a password: put it in an environment variable and name it with --password-env NAME (never on the command line)");
        }
        var password = request.GetVariable(request.PasswordEnv);
        return string.IsNullOrEmpty(password)
            ? throw new CollectRequestException("the environment variable named by --password-env is not set or empty (its name is not repeated here, in case a password was given by mistake)")
            : password;
    }

    private static string? CaFile(CollectRequest request)
    {
        if (request.Ca is null)
        {
            return null;
        }
        var path = request.Resolve(request.Ca);
        if (!File.Exists(path))
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.FileNotFound, DiagnosticLevel.Error, "CA file given with --ca not found", request.Ca));
        }
        try
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(path);
            return roots.Count > 0 ? path : throw new CryptographicException("the file holds no PEM certificate");
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.InvalidInput, DiagnosticLevel.Error, $"CA file given with --ca cannot be used: {e.Message}", request.Ca));
        }
    }

    /// <summary>The directory's server, base, bind and TLS; a simple bind over plain ldap:// is a warning to <paramref name="observer"/>.</summary>
    public static DirectoryCollectorOptions Directory(CollectRequest request, ICollectObserver observer)
    {
        // The URI and the options that go with it are checked by CollectRequest.Problems before anything runs.
        var uri = new Uri(request.Directory!, UriKind.Absolute);
        string? caFile = null;
        if (request.DirectoryCa is not null)
        {
            caFile = request.Resolve(request.DirectoryCa);
            if (!File.Exists(caFile))
            {
                throw new InputException(new Diagnostic(DiagnosticCodes.FileNotFound, DiagnosticLevel.Error, "CA file given with --directory-ca not found", request.DirectoryCa));
            }
        }
        string? password = null;
        if (request.DirectoryUser is not null)
        {
            if (uri.Scheme == "ldap" && !request.DirectoryStartTls)
            {
                observer.Warning(new Diagnostic(DiagnosticCodes.InsecureDirectoryBind, DiagnosticLevel.Warning,
                    $"a simple bind as {request.DirectoryUser} to {uri.Scheme}://{uri.Authority} sends the password in clear text: use ldaps:// or --directory-starttls"));
            }
            try
            {
                password = DirectoryPasswordResolver.Resolve(request.DirectoryPasswordEnv, request.DirectoryUser, getEnvironment: request.GetVariable);
            }
            catch (InputException e)
            {
                // A missing password is a matter of how audit was called (64), not of an input file (65).
                throw new CollectRequestException(e.Diagnostics[0].Message, e);
            }
        }
        return new DirectoryCollectorOptions
        {
            Server = uri,
            BaseDn = request.DirectoryBase,
            User = request.DirectoryUser,
            Password = password,
            CaFile = caFile,
            StartTls = request.DirectoryStartTls,
            UseCurrentIdentity = request.DirectoryUser is null,
        };
    }
}
