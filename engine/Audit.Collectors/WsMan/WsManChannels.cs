using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Text;
using Audit.Collectors.Cim;

namespace Audit.Collectors.WsMan;

/// <summary>One answer of the host, in clear (decrypted when it came sealed).</summary>
internal sealed record WsManAnswer(HttpStatusCode Status, string? Reason, string? MediaType, string Text);

/// <summary>How envelopes reach one host: HTTPS with an Authorization per request, or plain HTTP with sealed messages.</summary>
internal interface IWsManChannel : IDisposable
{
    /// <summary>The fix for an HTTP 401.</summary>
    string RefusedFix { get; }

    /// <summary>POSTs one envelope; throws <see cref="HttpRequestException"/> for transport failures, <see cref="CimException"/> for ours.</summary>
    Task<WsManAnswer> PostAsync(string envelope, string what, CancellationToken cancellationToken);
}

/// <summary>HTTPS: TLS protects the messages; each request carries its own authentication (Basic, or a Kerberos AP-REQ).</summary>
internal sealed class WsManHttpsChannel(Uri endpoint, HttpClient client, WsManAuthenticator auth) : IWsManChannel
{
    public string RefusedFix => auth.RefusedFix;

    public async Task<WsManAnswer> PostAsync(string envelope, string what, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new StringContent(envelope, Encoding.UTF8, "application/soap+xml"),
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var negotiation = auth.Start(what);
        request.Headers.Authorization = negotiation.Header;
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            negotiation.Verify(response, what);
        }
        return new WsManAnswer(response.StatusCode, response.ReasonPhrase, response.Content.Headers.ContentType?.MediaType, text);
    }

    public void Dispose()
    {
        // The HttpClient belongs to the factory (connections are pooled across hosts' sessions).
    }
}

/// <summary>
/// Plain HTTP with Kerberos, as WinRM requires it (MS-WSMV 2.2.9.1; the way pywinrm talks to Windows): one TCP
/// connection of the session's own; first an empty POST carrying the Kerberos AP-REQ, whose answer completes mutual
/// authentication; then every envelope sealed with that context (<see cref="WsManEncryption"/>) and every answer
/// unsealed with it, on the same connection (WinRM ties the context to the connection). Fails closed: a context that
/// cannot encrypt, an answer in clear text or one that does not unseal is an error, never read. When the host drops the
/// connection, its context goes with it: a 401 on a context that was already in use authenticates once more.
/// </summary>
internal sealed class WsManSealedChannel : IWsManChannel
{
    private readonly Uri _endpoint;
    private readonly WsManAuthenticator _auth;
    private readonly HttpClient _client;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NegotiateAuthentication? _context;

    public WsManSealedChannel(Uri endpoint, WsManAuthenticator auth, TimeSpan connectTimeout)
    {
        _endpoint = endpoint;
        _auth = auth;
        _client = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
        }, disposeHandler: true)
        { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = 64 << 20 };
    }

    public string RefusedFix => _auth.RefusedFix;

    public async Task<WsManAnswer> PostAsync(string envelope, string what, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var fresh = false;
                if (_context is null)
                {
                    var refused = await AuthenticateAsync(what, cancellationToken).ConfigureAwait(false);
                    if (refused is not null)
                    {
                        return refused;
                    }
                    fresh = true;
                }
                using var request = Request(WsManEncryption.Seal(_context!, envelope));
                request.Content!.Headers.TryAddWithoutValidation("Content-Type", WsManEncryption.ContentType);
                using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    Forget();
                    if (!fresh && attempt == 0)
                    {
                        continue; // the connection (and the context bound to it) was replaced: authenticate again, once
                    }
                    return new WsManAnswer(response.StatusCode, response.ReasonPhrase, null, "");
                }
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                var media = response.Content.Headers.ContentType?.MediaType;
                if (string.Equals(media, "multipart/encrypted", StringComparison.OrdinalIgnoreCase))
                {
                    var text = WsManEncryption.Unseal(_context!, body);
                    return new WsManAnswer(response.StatusCode, response.ReasonPhrase, "application/soap+xml", text);
                }
                if (body.Length == 0)
                {
                    return new WsManAnswer(response.StatusCode, response.ReasonPhrase, null, "");
                }
                throw new CimException(CimErrorCode.Failed, $"{what}: HTTP {(int)response.StatusCode}: the host answered in clear text ({media ?? "no type"}) over plain HTTP; not read")
                {
                    Cause = "unsealed answer",
                    Fix = "the host must seal its answers (WinRM does, with Kerberos); check that the endpoint is WinRM, or use --https",
                };
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The empty, authenticated POST that establishes the context; an answer to return when the host refuses it.</summary>
    private async Task<WsManAnswer?> AuthenticateAsync(string what, CancellationToken cancellationToken)
    {
        using var attempt = _auth.Start(what);
        using var request = Request([]);
        request.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/soap+xml") { CharSet = "UTF-8" };
        request.Headers.Authorization = attempt.Header;
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            // Whatever the host said, it said it in clear text: only the status is used.
            return new WsManAnswer(response.StatusCode, response.ReasonPhrase, null, "");
        }
        attempt.Verify(response, what);
        _context = attempt.TakeSealingContext(what);
        return null;
    }

    private HttpRequestMessage Request(byte[] body) => new(HttpMethod.Post, _endpoint)
    {
        Content = new ByteArrayContent(body),
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private void Forget()
    {
        _context?.Dispose();
        _context = null;
    }

    public void Dispose()
    {
        Forget();
        _client.Dispose();
        // _gate is not disposed: a cancelled operation may still release it (SemaphoreSlim holds nothing to free here).
    }
}
