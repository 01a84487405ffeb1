namespace Audit.Collectors.Cim;

/// <summary>
/// Every option the MI session is created with, decided here from <see cref="CimConnectionOptions"/> so it can be
/// tested without Windows; <see cref="MiCimSession"/> only copies it onto MI's option objects. The defaults are
/// those New-CimSessionOption applies (PowerShell's CimCmdlets): DCOM with packet privacy, packet integrity and
/// impersonation (root/MSCluster refuses DCOM without privacy, KB 2590230); WS-Management with encryption and every
/// certificate check on, port 5985 or 5986 with HTTPS.
/// </summary>
public sealed record MiSessionPlan
{
    public const int WsManHttpPort = 5985;
    public const int WsManHttpsPort = 5986;

    public CimProtocol Protocol { get; init; }

    /// <summary>WS-Management: destination port (null for a local or DCOM session).</summary>
    public int? Port { get; init; }

    /// <summary>WS-Management over HTTPS.</summary>
    public bool UseSsl { get; init; }

    /// <summary>WS-Management: message encryption stays on (never NoEncryption).</summary>
    public bool Encrypted { get; init; }

    /// <summary>WS-Management over HTTPS: the certificate's CA, name and revocation are checked.</summary>
    public bool CertificateChecks { get; init; }

    /// <summary>DCOM: RPC_C_AUTHN_LEVEL_PKT_PRIVACY (encrypted).</summary>
    public bool PacketPrivacy { get; init; }

    /// <summary>DCOM: RPC_C_AUTHN_LEVEL_PKT_INTEGRITY (signed).</summary>
    public bool PacketIntegrity { get; init; }

    /// <summary>DCOM: impersonation level (Impersonate, as PowerShell).</summary>
    public string? Impersonation { get; init; }

    /// <summary>Explicit credentials: Negotiate (Kerberos, NTLM where Kerberos cannot apply) over WS-Man, Default over DCOM; null: the current identity.</summary>
    public string? CredentialMechanism { get; init; }

    public string? Domain { get; init; }
    public string? User { get; init; }

    /// <summary>Operation timeout copied onto the session and each operation.</summary>
    public TimeSpan Timeout { get; init; }

    public static MiSessionPlan For(CimConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (domain, user) = options.User is null ? (null, null) : SplitUser(options.User);
        var plan = new MiSessionPlan { Protocol = options.Protocol, Timeout = options.OperationTimeout, Domain = domain, User = user };
        return options.Protocol switch
        {
            CimProtocol.Local => plan with { Domain = null, User = null },
            CimProtocol.Dcom => plan with
            {
                PacketPrivacy = true,
                PacketIntegrity = true,
                Impersonation = "Impersonate",
                CredentialMechanism = user is null ? null : "Default",
            },
            _ => plan with
            {
                Port = options.Port ?? (options.UseSsl ? WsManHttpsPort : WsManHttpPort),
                UseSsl = options.UseSsl,
                Encrypted = true,
                CertificateChecks = true,
                CredentialMechanism = user is null ? null : "Negotiate",
            },
        };
    }

    /// <summary>DOMAIN\user into (DOMAIN, user); user@domain stays whole (MI takes a UPN as the user name).</summary>
    internal static (string? Domain, string User) SplitUser(string user)
    {
        var slash = user.IndexOf('\\', StringComparison.Ordinal);
        return slash > 0 ? (user[..slash], user[(slash + 1)..]) : (null, user);
    }
}
