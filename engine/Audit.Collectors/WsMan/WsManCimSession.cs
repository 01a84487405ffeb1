using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Xml.Linq;
using Audit.Collectors.Cim;
using Audit.Collectors.Directory;

namespace Audit.Collectors.WsMan;

/// <summary>
/// Sessions over WS-Management with <see cref="HttpClient"/>, on any OS. HTTPS (the host's certificate checked against
/// the system's trust or, with <see cref="CimConnectionOptions.CaFile"/>, against that CA only, and for the host's
/// name) with Kerberos through SPNEGO (the current identity, or --user) or Basic; or plain HTTP with Kerberos only,
/// every message sealed (<see cref="WsManSealedChannel"/>). It refuses what it cannot do safely: Basic over plain HTTP,
/// and DCOM. Those fail each host with the reason and the way forward, never silently.
/// </summary>
public sealed class WsManCimSessionFactory : ICimSessionFactory, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);

    public Task<ICimSession> CreateAsync(string computerName, CimConnectionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Protocol != CimProtocol.WsMan)
        {
            throw Refused(computerName, $"{options.Protocol} is not WS-Management", "use --transport mi on Windows for DCOM or a local session");
        }
        if (!options.UseSsl)
        {
            if (options.Authentication == WsManAuthentication.Basic)
            {
                throw Refused(computerName, "Basic authentication over plain HTTP would send the password in clear text, so it is never done", "use --https with --auth basic, or Kerberos (drop --auth basic) over plain HTTP, where each message is sealed");
            }
            // Plain HTTP: Kerberos on one connection, then every message sealed with that context (MS-WSMV 2.2.9.1).
            var httpEndpoint = new UriBuilder(Uri.UriSchemeHttp, computerName, options.Port ?? MiSessionPlan.WsManHttpPort, "/wsman").Uri;
            var sealing = WsManAuthenticator.Negotiate(computerName, options.User, options.Password, seal: true);
            return Task.FromResult<ICimSession>(new WsManCimSession(computerName, httpEndpoint, new WsManSealedChannel(httpEndpoint, sealing, options.OperationTimeout), options.OperationTimeout));
        }
        var port = options.Port ?? MiSessionPlan.WsManHttpsPort;
        var endpoint = new UriBuilder(Uri.UriSchemeHttps, computerName, port, "/wsman").Uri;
        var client = Client(options.CaFile, options.OperationTimeout);
        WsManAuthenticator auth;
        if (options.Authentication == WsManAuthentication.Basic)
        {
            if (options.User is null || options.Password is null)
            {
                throw Refused(computerName, "Basic authentication needs --user and a password", "give --user and --password-env for a local account of the host (WinRM takes Basic for local accounts only), or drop --auth basic for Kerberos");
            }
            auth = WsManAuthenticator.Basic(options.User, options.Password);
        }
        else
        {
            auth = WsManAuthenticator.Negotiate(computerName, options.User, options.Password);
        }
        return Task.FromResult<ICimSession>(new WsManCimSession(computerName, endpoint, new WsManHttpsChannel(endpoint, client, auth), options.OperationTimeout));
    }

    private static CimException Refused(string host, string why, string fix) =>
        new(CimErrorCode.PlatformNotSupported, $"{CimOperationText.Open(host)}: {why}") { Fix = fix, Cause = "WsManTransportLimit" };

    private HttpClient Client(string? caFile, TimeSpan timeout)
    {
        lock (_gate)
        {
            var key = caFile ?? "";
            if (_clients.TryGetValue(key, out var existing))
            {
                return existing;
            }
            var validator = caFile is null ? ServerCertificateValidator.SystemTrust() : ServerCertificateValidator.FromPemFile(caFile);
            var handler = new SocketsHttpHandler
            {
                ConnectTimeout = timeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                SslOptions = new SslClientAuthenticationOptions
                {
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                    {
                        var host = sender is SslStream { TargetHostName: { Length: > 0 } t } ? t : null;
                        return certificate is not null && host is not null && validator.Check(certificate, host) is null;
                    },
                },
            };
            var client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = 64 << 20 };
            _clients[key] = client;
            return client;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var c in _clients.Values)
            {
                c.Dispose();
            }
            _clients.Clear();
        }
    }
}

/// <summary>One host over WS-Management: every <see cref="ICimSession"/> call as SOAP over HTTPS.</summary>
internal sealed class WsManCimSession(string computerName, Uri endpoint, IWsManChannel channel, TimeSpan timeout) : ICimSession
{
    /// <summary>Key properties of the classes whose instance methods we call (WS-Management addresses an instance by its keys).</summary>
    private static readonly string[] KeyCandidates = ["CreationClassName", "Name", "SystemCreationClassName", "SystemName", "InstanceID", "DeviceID"];

    public string ComputerName { get; } = computerName;

    public async Task TestConnectionAsync(CancellationToken cancellationToken) =>
        await SendAsync(WsManRequest.Identify(), CimOperationText.TestConnection(ComputerName), cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<CimRecord>> QueryAsync(string cimNamespace, string wql, CancellationToken cancellationToken)
    {
        var what = CimOperationText.Query(cimNamespace, wql);
        var answer = await SendAsync(WsManRequest.Enumerate(endpoint, cimNamespace, wql, timeout), what, cancellationToken).ConfigureAwait(false);
        var records = new List<CimRecord>();
        var response = WsManResponse.Body(answer).Element(XName.Get("EnumerateResponse", WsManNames.Enumeration))
            ?? throw new CimException(CimErrorCode.Failed, $"{what}: the answer holds no EnumerateResponse");
        var (context, done) = Read(response, records);
        try
        {
            while (!done)
            {
                if (context is null)
                {
                    throw new CimException(CimErrorCode.Failed, $"{what}: the enumeration has neither an end nor a context");
                }
                var pulled = await SendAsync(WsManRequest.Pull(endpoint, cimNamespace, context, timeout), what, cancellationToken).ConfigureAwait(false);
                var pull = WsManResponse.Body(pulled).Element(XName.Get("PullResponse", WsManNames.Enumeration))
                    ?? throw new CimException(CimErrorCode.Failed, $"{what}: the answer holds no PullResponse");
                (context, done) = Read(pull, records, context);
            }
        }
        catch (Exception) when (context is not null && !done)
        {
            // Leave nothing open on the host: release the enumeration, whatever happens to this request.
            try
            {
                using var release = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await SendAsync(WsManRequest.Release(endpoint, cimNamespace, context, timeout), what, release.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CimException or OperationCanceledException or HttpRequestException)
            {
                // best effort: the host drops it at its own timeout
            }
            throw;
        }
        return records;
    }

    private static (string? Context, bool Done) Read(XElement response, List<CimRecord> records, string? previous = null)
    {
        var items = response.Element(XName.Get("Items", WsManNames.WsMan)) ?? response.Element(XName.Get("Items", WsManNames.Enumeration));
        if (items is not null)
        {
            records.AddRange(items.Elements().Select(WsManResponse.Instance));
        }
        var done = response.Element(XName.Get("EndOfSequence", WsManNames.WsMan)) is not null || response.Element(XName.Get("EndOfSequence", WsManNames.Enumeration)) is not null;
        var context = response.Element(XName.Get("EnumerationContext", WsManNames.Enumeration))?.Value is { Length: > 0 } c ? c : previous;
        return (context, done);
    }

    public Task<CimMethodOutput> InvokeStaticAsync(string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
        InvokeCoreAsync(cimNamespace, className, method, arguments, null, cancellationToken);

    public Task<CimMethodOutput> InvokeAsync(string cimNamespace, CimRecord instance, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var selectors = KeyCandidates.Where(k => instance.GetString(k) is not null).Select(k => new KeyValuePair<string, string>(k, instance.GetString(k)!)).ToList();
        if (selectors.Count == 0)
        {
            throw new CimException(CimErrorCode.InvalidParameter, $"{CimOperationText.Method(cimNamespace, instance.ClassName, method)}: the instance has none of the key properties WS-Management needs to address it");
        }
        return InvokeCoreAsync(cimNamespace, instance.ClassName, method, arguments, selectors, cancellationToken);
    }

    private async Task<CimMethodOutput> InvokeCoreAsync(string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, IReadOnlyList<KeyValuePair<string, string>>? selectors, CancellationToken cancellationToken)
    {
        var what = CimOperationText.Method(cimNamespace, className, method);
        var answer = await SendAsync(WsManRequest.Invoke(endpoint, cimNamespace, className, method, arguments, selectors, timeout), what, cancellationToken).ConfigureAwait(false);
        var output = WsManResponse.Body(answer).Elements().FirstOrDefault(e => e.Name.LocalName == method + "_OUTPUT")
            ?? throw new CimException(CimErrorCode.Failed, $"{what}: the answer holds no {method}_OUTPUT");
        var record = WsManResponse.Instance(output);
        var outs = record.Properties.Where(p => !string.Equals(p.Key, "ReturnValue", StringComparison.OrdinalIgnoreCase));
        return new CimMethodOutput(record.GetLong("ReturnValue"), new CimRecord("__PARAMETERS", outs));
    }

    /// <summary>POSTs one envelope; a SOAP fault, an HTTP status or a transport failure becomes our classified <see cref="CimException"/>.</summary>
    private async Task<XDocument> SendAsync(string envelope, string what, CancellationToken cancellationToken)
    {
        WsManAnswer answer;
        try
        {
            answer = await channel.PostAsync(envelope, what, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Transport(e, what);
        }
        if (answer.Status == HttpStatusCode.Unauthorized)
        {
            throw new CimException(CimErrorCode.AuthenticationFailed, $"{what}: HTTP 401: the host refused the credentials")
            {
                Cause = "HTTP 401",
                Fix = channel.RefusedFix,
            };
        }
        XDocument? doc = null;
        if (answer.Text.Length > 0 && (answer.MediaType?.Contains("xml", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            try
            {
                doc = WsManResponse.Parse(answer.Text);
            }
            catch (System.Xml.XmlException e)
            {
                throw new CimException(CimErrorCode.Failed, $"{what}: HTTP {(int)answer.Status}: the answer is not XML ({e.Message})");
            }
        }
        if (doc is not null && WsManResponse.Fault(doc) is { } fault)
        {
            throw CimErrorClassifier.ToException(fault, what);
        }
        if ((int)answer.Status is < 200 or > 299 || doc is null)
        {
            throw new CimException(CimErrorCode.Failed, $"{what}: HTTP {(int)answer.Status} {answer.Reason}{(doc is null ? " without a SOAP answer" : "")}");
        }
        return doc;
    }

    private CimException Transport(HttpRequestException e, string what)
    {
        if (e.InnerException is AuthenticationException)
        {
            return new CimException(CimErrorCode.CertificateRejected, $"{what}: the host's HTTPS certificate was refused: {e.InnerException.Message}", e)
            {
                Cause = "TLS",
                Fix = $"the certificate of {ComputerName}:{endpoint.Port} must chain to the CA given with --ca (or one this machine trusts) and name the host as given",
            };
        }
        var socket = e.InnerException as SocketException;
        var cause = socket?.SocketErrorCode.ToString() ?? e.HttpRequestError.ToString();
        var fix = socket?.SocketErrorCode == SocketError.HostNotFound || e.HttpRequestError == HttpRequestError.NameResolutionError
            ? "the host name does not resolve: check the name in the inventory and DNS"
            : endpoint.Scheme == Uri.UriSchemeHttps
            ? $"nothing answers on {ComputerName}:{endpoint.Port}: create a WinRM HTTPS listener on the host (winrm quickconfig -transport:https) and allow TCP {endpoint.Port} in its firewall"
            : $"nothing answers on {ComputerName}:{endpoint.Port}: enable WinRM on the host (winrm quickconfig) and allow TCP {endpoint.Port} in its firewall";
        return new CimException(CimErrorCode.Unreachable, $"{what}: {cause}: {e.Message}", e) { Cause = cause, Fix = fix };
    }

    public void Dispose() => channel.Dispose();
}
