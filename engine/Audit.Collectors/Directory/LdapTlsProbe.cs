using System.Formats.Asn1;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Audit.Collectors.Directory;

/// <summary>
/// Opens a TCP connection to the server before LDAP is used and, for ldaps:// or StartTLS, completes a TLS handshake
/// checked by <see cref="ServerCertificateValidator"/>. This gives a clear, platform-independent reason when the server
/// is unreachable or its certificate is not acceptable (on Linux the LDAP library only reports "server unavailable"),
/// and it makes sure no credentials are sent to a server that fails the check.
/// </summary>
internal static class LdapTlsProbe
{
    private const string StartTlsOid = "1.3.6.1.4.1.1466.20037";

    /// <summary>Returns null when the server is reachable (and its certificate acceptable when TLS is used), else a problem.</summary>
    public static async Task<LdapProblem?> CheckAsync(LdapEndpoint endpoint, bool startTls, ServerCertificateValidator validator, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var token = timeoutSource.Token;
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(endpoint.Host, endpoint.Port, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new LdapProblem($"cannot connect to the server within {timeout.TotalSeconds:0.#} s", LdapResultCodes.ServerDown);
        }
        catch (SocketException e)
        {
            return new LdapProblem($"cannot connect to the server ({Describe(e.SocketErrorCode)})", LdapResultCodes.ServerDown);
        }
        if (!endpoint.Ldaps && !startTls)
        {
            return null;
        }
        var stream = client.GetStream();
        try
        {
            if (startTls)
            {
                var code = await SendStartTlsAsync(stream, token).ConfigureAwait(false);
                if (code != 0)
                {
                    return new LdapProblem($"the server refused StartTLS (LDAP result {code})", code);
                }
            }
            string? rejection = null;
            using var ssl = new SslStream(stream, leaveInnerStreamOpen: true);
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = endpoint.Host,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                {
                    if (certificate is null)
                    {
                        rejection = "it presented no certificate";
                        return false;
                    }
                    var intermediates = new X509Certificate2Collection();
                    if (chain is not null)
                    {
                        foreach (var element in chain.ChainElements)
                        {
                            intermediates.Add(element.Certificate);
                        }
                    }
                    rejection = validator.Check(certificate, endpoint.Host, intermediates);
                    return rejection is null;
                },
            };
            try
            {
                await ssl.AuthenticateAsClientAsync(options, token).ConfigureAwait(false);
            }
            catch (System.Security.Authentication.AuthenticationException e)
            {
                return new LdapProblem(rejection is not null ? $"the TLS handshake was rejected because {rejection}" : $"the TLS handshake failed ({e.Message.TrimEnd('.')})", LdapResultCodes.ConnectError);
            }
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new LdapProblem($"the server did not complete the {(startTls ? "StartTLS" : "TLS")} handshake within {timeout.TotalSeconds:0.#} s", LdapResultCodes.Timeout);
        }
        catch (IOException e)
        {
            return new LdapProblem($"the connection failed during the {(startTls ? "StartTLS" : "TLS")} handshake ({e.Message.TrimEnd('.')}); is this an LDAP{(startTls ? string.Empty : "S")} port?", LdapResultCodes.ConnectError);
        }
        catch (AsnContentException)
        {
            return new LdapProblem("the server answered StartTLS with something that is not an LDAP message", LdapResultCodes.ProtocolError);
        }
    }

    /// <summary>Sends the StartTLS extended request (RFC 4511 4.14) and returns the server's result code.</summary>
    private static async Task<int> SendStartTlsAsync(NetworkStream stream, CancellationToken token)
    {
        var writer = new AsnWriter(AsnEncodingRules.BER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(1);
            using (writer.PushSequence(new Asn1Tag(TagClass.Application, 23, isConstructed: true)))
            {
                writer.WriteOctetString(Encoding.ASCII.GetBytes(StartTlsOid), new Asn1Tag(TagClass.ContextSpecific, 0));
            }
        }
        await stream.WriteAsync(writer.Encode(), token).ConfigureAwait(false);
        var message = await ReadMessageAsync(stream, token).ConfigureAwait(false);
        var reader = new AsnReader(message, AsnEncodingRules.BER);
        var sequence = reader.ReadSequence();
        sequence.ReadInteger();
        var response = sequence.ReadSequence(new Asn1Tag(TagClass.Application, 24, isConstructed: true));
        var code = 0;
        foreach (var b in response.ReadEnumeratedBytes().Span)
        {
            code = (code << 8) | b;
        }
        return code;
    }

    private static async Task<byte[]> ReadMessageAsync(NetworkStream stream, CancellationToken token)
    {
        var header = new byte[2];
        await stream.ReadExactlyAsync(header, token).ConfigureAwait(false);
        if (header[0] != 0x30)
        {
            throw new AsnContentException("not an LDAP message");
        }
        int length;
        byte[] lengthBytes = [];
        if ((header[1] & 0x80) == 0)
        {
            length = header[1];
        }
        else
        {
            var n = header[1] & 0x7F;
            if (n is 0 or > 3)
            {
                throw new AsnContentException("unsupported length");
            }
            lengthBytes = new byte[n];
            await stream.ReadExactlyAsync(lengthBytes, token).ConfigureAwait(false);
            length = 0;
            foreach (var b in lengthBytes)
            {
                length = (length << 8) | b;
            }
        }
        if (length > 64 * 1024)
        {
            throw new AsnContentException("StartTLS response too large");
        }
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, token).ConfigureAwait(false);
        return [.. header, .. lengthBytes, .. body];
    }

    private static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData => "host name not found",
        SocketError.TimedOut => "connection timed out",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
        _ => error.ToString(),
    };
}

/// <summary>Why a collection failed: one clause for the message and the LDAP result code where known.</summary>
internal sealed record LdapProblem(string Cause, int? Code);

/// <summary>LDAP result codes (RFC 4511) and LDAP API client codes (as the C LDAP APIs number them) used in messages.</summary>
internal static class LdapResultCodes
{
    public const int OperationsError = 1;
    public const int ProtocolError = 2;
    public const int TimeLimitExceeded = 3;
    public const int SizeLimitExceeded = 4;
    public const int NoSuchObject = 32;
    public const int InvalidCredentials = 49;
    public const int InsufficientAccessRights = 50;
    public const int Busy = 51;
    public const int Unavailable = 52;
    public const int UnwillingToPerform = 53;
    public const int ServerDown = 81;
    public const int Timeout = 85;
    public const int ConnectError = 91;
    public const int StrongAuthRequired = 8;
    public const int ConfidentialityRequired = 13;
    public const int AdminLimitExceeded = 11;
}
