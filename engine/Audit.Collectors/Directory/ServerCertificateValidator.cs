using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Audit.Collectors.Directory;

/// <summary>
/// Checks an LDAP server's certificate: the chain must end at the configured private CA (only that CA:
/// <see cref="X509ChainTrustMode.CustomRootTrust"/>) or, without one, at the system trust store; and the certificate
/// must name the host we connected to (DNS or IP subjectAltName).
/// </summary>
internal sealed class ServerCertificateValidator : IDisposable
{
    private readonly X509Certificate2Collection? _trustedRoots;

    private ServerCertificateValidator(X509Certificate2Collection? trustedRoots) => _trustedRoots = trustedRoots;

    public bool UsesPrivateCa => _trustedRoots is not null;

    public static ServerCertificateValidator SystemTrust() => new(null);

    /// <summary>Loads every certificate of a PEM file; throws <see cref="CryptographicException"/> or IO exceptions when unreadable.</summary>
    public static ServerCertificateValidator FromPemFile(string caFile)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caFile);
        if (roots.Count == 0)
        {
            throw new CryptographicException("the file holds no PEM certificate");
        }
        return new ServerCertificateValidator(roots);
    }

    public static ServerCertificateValidator FromCertificates(X509Certificate2Collection roots) => new(roots);

    /// <summary>Returns null when the certificate is acceptable for <paramref name="host"/>, else the reason.</summary>
    public string? Check(X509Certificate certificate, string host, X509Certificate2Collection? intermediates = null)
    {
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = DateTime.Now;
        if (_trustedRoots is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(_trustedRoots);
        }
        if (intermediates is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        }
        try
        {
            if (!chain.Build(leaf))
            {
                var status = string.Join(", ", chain.ChainStatus
                    .Select(s => s.Status.ToString())
                    .Distinct(StringComparer.Ordinal)
                    .Order(StringComparer.Ordinal));
                var whom = _trustedRoots is null ? "the system trust store" : "the given CA file";
                return $"its certificate (subject '{leaf.Subject}') is not trusted by {whom} ({(status.Length == 0 ? "chain not valid" : status)})";
            }
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }
        if (!leaf.MatchesHostname(host, allowWildcards: true, allowCommonName: false))
        {
            return $"its certificate (subject '{leaf.Subject}') does not name the host '{host}' in its subjectAltName";
        }
        return null;
    }

    public void Dispose()
    {
        if (_trustedRoots is null)
        {
            return;
        }
        foreach (var c in _trustedRoots)
        {
            c.Dispose();
        }
    }
}
