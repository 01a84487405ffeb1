using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Audit.Collectors.Recording;
using Audit.Collectors.WsMan;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Audit.Collectors.Tests.WsMan;

/// <summary>
/// A WinRM stand-in the tests start on 127.0.0.1 (a free port, HTTPS with a private CA made for the test, Basic
/// authentication): it answers Identify, Enumerate / Pull / Release and method calls from a CIM recording, in the
/// message shapes of DSP0226/DSP0230 (instances as elements named by class, arrays repeated, nulls xsi:nil, datetimes
/// in cim:Datetime, embedded instances with xsi:type), a page of two items per answer so Pull is exercised; recorded
/// failures as SOAP faults with a WSManFault and an MSFT_WmiError (CIMStatusCode, error_Code...) as WinRM sends them;
/// HTTP 401 for wrong credentials. It proves our client speaks the protocol's shapes, not that Windows answers so.
/// </summary>
public sealed class WinRmStandIn : IAsyncDisposable
{
    private const string P = "http://schemas.microsoft.com/wbem/wsman/1/wmi";
    private readonly CimRecordingDocument _recording;
    private readonly string _user;
    private readonly string _password;
    private readonly ConcurrentDictionary<string, Queue<XElement>> _contexts = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public WinRmStandIn(CimRecordingDocument recording, string user, string password)
    {
        _recording = recording;
        _user = user;
        _password = password;
    }

    public int Port { get; private set; }

    /// <summary>Also accept Kerberos through SPNEGO (the process's KRB5_KTNAME keytab holds the service key).</summary>
    public bool AcceptNegotiate { get; init; }

    /// <summary>The Kerberos client names the stand-in authenticated.</summary>
    public ConcurrentBag<string> Authenticated { get; } = [];

    /// <summary>Delay before each answer (a WAN, a busy host), for fan-out measurements.</summary>
    public TimeSpan Latency { get; init; }
    private int _requests;

    public int Requests => Volatile.Read(ref _requests);
    public int OpenEnumerations => _contexts.Count;
    /// <summary>The envelopes received, in clear (decrypted when they came sealed).</summary>
    public ConcurrentBag<string> Received { get; } = [];
    /// <summary>The envelopes answered, in clear (before sealing).</summary>
    public ConcurrentBag<string> Answered { get; } = [];

    /// <summary>Plain HTTP: the Kerberos context of each connection, which seals and unseals its messages.</summary>
    private readonly ConcurrentDictionary<string, System.Net.Security.NegotiateAuthentication> _sealers = new(StringComparer.Ordinal);
    private int _rejectedPlaintext;
    private int _sealedRequests;

    /// <summary>Bodies refused on plain HTTP because they came in clear text after Kerberos authentication.</summary>
    public int RejectedPlaintext => Volatile.Read(ref _rejectedPlaintext);

    /// <summary>Sealed requests unsealed and answered sealed (plain HTTP).</summary>
    public int SealedRequests => Volatile.Read(ref _sealedRequests);

    /// <summary>Serves HTTPS with <paramref name="certificate"/> (which must hold its private key), or plain HTTP when null.</summary>
    public async Task StartAsync(X509Certificate2? certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            if (certificate is not null)
            {
                l.UseHttps(certificate);
            }
        }));
        _app = builder.Build();
        _app.MapPost("/wsman", HandleAsync);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Port = new Uri(address).Port;
    }

    private async Task HandleAsync(HttpContext http)
    {
        Interlocked.Increment(ref _requests);
        if (Latency > TimeSpan.Zero)
        {
            await Task.Delay(Latency);
        }
        var authorization = http.Request.Headers.Authorization.ToString();
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_user}:{_password}"));
        var plainHttp = !http.Request.IsHttps;
        System.Net.Security.NegotiateAuthentication? sealer = null;
        if (authorization.StartsWith("Negotiate ", StringComparison.Ordinal) && AcceptNegotiate)
        {
            // Kerberos through SPNEGO, accepted with the keytab KRB5_KTNAME names (HTTP/localhost in the test KDC's realm).
            // Over plain HTTP the context must encrypt, and it stays with the connection to seal what follows on it.
            var server = new System.Net.Security.NegotiateAuthentication(new System.Net.Security.NegotiateAuthenticationServerOptions
            {
                Package = "Negotiate",
                RequiredProtectionLevel = plainHttp ? System.Net.Security.ProtectionLevel.EncryptAndSign : System.Net.Security.ProtectionLevel.None,
            });
            var mutual = server.GetOutgoingBlob(Convert.FromBase64String(authorization["Negotiate ".Length..]), out var negotiated);
            if (negotiated != System.Net.Security.NegotiateAuthenticationStatusCode.Completed || (plainHttp && !server.IsEncrypted))
            {
                server.Dispose();
                http.Response.StatusCode = 401;
                http.Response.Headers.WWWAuthenticate = "Negotiate";
                return;
            }
            Authenticated.Add(server.RemoteIdentity.Name ?? "");
            if (mutual is not null)
            {
                http.Response.Headers.WWWAuthenticate = "Negotiate " + Convert.ToBase64String(mutual);
            }
            if (plainHttp)
            {
                if (_sealers.TryRemove(http.Connection.Id, out var previous))
                {
                    previous.Dispose();
                }
                _sealers[http.Connection.Id] = sealer = server;
            }
            else
            {
                server.Dispose();
            }
        }
        else if (plainHttp && AcceptNegotiate && authorization.Length == 0 && _sealers.TryGetValue(http.Connection.Id, out var established))
        {
            sealer = established;
        }
        else if (plainHttp || authorization != expected)
        {
            // Never Basic over plain HTTP (as WinRM, whose AllowUnencrypted is false by default).
            http.Response.StatusCode = 401;
            http.Response.Headers.WWWAuthenticate = AcceptNegotiate ? "Negotiate" : "Basic realm=\"WSMAN\"";
            return;
        }
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        string text;
        if (sealer is not null)
        {
            if (body.Length == 0)
            {
                http.Response.StatusCode = 200; // the authentication request: the context is now bound to this connection
                return;
            }
            if (!http.Request.ContentType?.StartsWith("multipart/encrypted", StringComparison.OrdinalIgnoreCase) ?? true)
            {
                Interlocked.Increment(ref _rejectedPlaintext);
                http.Response.StatusCode = 400; // WinRM: unencrypted traffic is refused on HTTP
                return;
            }
            text = SealedMessages.Unseal(sealer, body);
            Interlocked.Increment(ref _sealedRequests);
        }
        else
        {
            text = Encoding.UTF8.GetString(body);
        }
        Received.Add(text);
        var envelope = XDocument.Parse(text);
        var (status, answer) = Answer(envelope);
        var answerText = answer.ToString(SaveOptions.DisableFormatting);
        Answered.Add(answerText);
        http.Response.StatusCode = status;
        if (sealer is not null)
        {
            var sealedAnswer = SealedMessages.Seal(sealer, answerText);
            http.Response.Headers.ContentType = "multipart/encrypted;protocol=\"application/HTTP-Kerberos-session-encrypted\";boundary=\"Encrypted Boundary\"";
            http.Response.ContentLength = sealedAnswer.Length;
            await http.Response.Body.WriteAsync(sealedAnswer);
            return;
        }
        http.Response.ContentType = "application/soap+xml;charset=UTF-8";
        await http.Response.WriteAsync(answerText, Encoding.UTF8);
    }

    private static XNamespace S => WsManNames.Soap;
    private static XNamespace A => WsManNames.Addressing;
    private static XNamespace N => WsManNames.Enumeration;
    private static XNamespace W => WsManNames.WsMan;

    private (int Status, XDocument Answer) Answer(XDocument request)
    {
        var body = request.Root!.Element(S + "Body")!;
        if (body.Element(XName.Get("Identify", WsManNames.Identity)) is not null)
        {
            XNamespace id = WsManNames.Identity;
            return (200, Envelope(null, new XElement(id + "IdentifyResponse",
                new XElement(id + "ProtocolVersion", "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"),
                new XElement(id + "ProductVendor", "Audit test stand-in"), new XElement(id + "ProductVersion", "OS: 0.0.0 SP: 0.0 Stack: 3.0"))));
        }
        var header = request.Root!.Element(S + "Header")!;
        var action = header.Element(A + "Action")!.Value;
        var resource = header.Element(W + "ResourceURI")!.Value;
        var ns = header.Element(W + "SelectorSet")?.Elements(W + "Selector").FirstOrDefault(s => (string?)s.Attribute("Name") == WsManNames.NamespaceSelector)?.Value
            ?? throw new InvalidOperationException("no __cimnamespace selector");
        if (action == WsManNames.EnumerateAction)
        {
            var wql = body.Element(N + "Enumerate")!.Element(W + "Filter")!.Value;
            var op = _recording.Operations.FirstOrDefault(o => o.Op == RecordedOps.Query && o.Namespace == ns && o.Query == wql);
            if (op is null)
            {
                return Fault("w:InvalidSelectors", 0x80338041u, 6, $"no recorded answer to {wql}");
            }
            if (op.Outcome != RecordedOutcomes.Ok)
            {
                return Fault(op.Fault!);
            }
            var items = new Queue<XElement>((op.Instances ?? []).Select(i => Instance(ns, i)));
            return (200, Envelope(WsManNames.Enumeration + "/EnumerateResponse", Page(items, "EnumerateResponse", W)));
        }
        if (action == WsManNames.PullAction)
        {
            var context = body.Element(N + "Pull")!.Element(N + "EnumerationContext")!.Value;
            if (!_contexts.TryRemove(context, out var items))
            {
                return Fault("n:InvalidEnumerationContext", 0x8033801Bu, 21, "unknown enumeration context");
            }
            return (200, Envelope(WsManNames.Enumeration + "/PullResponse", Page(items, "PullResponse", N)));
        }
        if (action == WsManNames.ReleaseAction)
        {
            _contexts.TryRemove(body.Element(N + "Release")!.Element(N + "EnumerationContext")!.Value, out _);
            return (200, Envelope(WsManNames.Enumeration + "/ReleaseResponse", null));
        }
        // A method: Action = ResourceURI/Method; input METHOD_INPUT (ours) or METHOD (OMI's client).
        var className = resource[(resource.LastIndexOf('/') + 1)..];
        var method = action[(action.LastIndexOf('/') + 1)..];
        var input = body.Elements().First();
        var args = input.Elements().GroupBy(e => e.Name.LocalName).ToDictionary(g => g.Key, g => string.Join("|", g.Select(e => e.Value)), StringComparer.Ordinal);
        var selectors = header.Element(W + "SelectorSet")!.Elements(W + "Selector").Count();
        var call = _recording.Operations.FirstOrDefault(o => o.Namespace == ns && o.Method == method
            && ((o.Op == RecordedOps.InvokeStatic && o.Class == className) || (o.Op == RecordedOps.Invoke && o.InstanceClass == className && selectors > 1))
            && Same(o.Arguments, args));
        if (call is null)
        {
            return Fault("w:InvalidSelectors", 0x80338041u, 6, $"no recorded answer to {className}.{method}");
        }
        if (call.Outcome != RecordedOutcomes.Ok)
        {
            return Fault(call.Fault!);
        }
        XNamespace p = resource;
        var output = new XElement(p + (method + "_OUTPUT"));
        foreach (var v in call.Out ?? [])
        {
            output.Add(Property(p, v));
        }
        if (call.ReturnValue is { } rv && rv.Value.ValueKind != JsonValueKind.Null)
        {
            output.Add(new XElement(p + "ReturnValue", Text(rv.Value)));
        }
        return (200, Envelope(action + "Response", output));
    }

    private static bool Same(IReadOnlyList<RecordedValue>? recorded, Dictionary<string, string> args) =>
        (recorded ?? []).Count == args.Count && (recorded ?? []).All(r => args.TryGetValue(r.Name, out var v) && v == Text(r.Value));

    private XElement Page(Queue<XElement> items, string element, XNamespace itemsNamespace)
    {
        var page = new XElement(itemsNamespace + "Items");
        for (var i = 0; i < 2 && items.Count > 0; i++)
        {
            page.Add(items.Dequeue());
        }
        var response = new XElement(N + element);
        if (items.Count > 0)
        {
            var context = "uuid:" + Guid.NewGuid().ToString("D").ToUpperInvariant();
            _contexts[context] = items;
            response.Add(new XElement(N + "EnumerationContext", context), page);
        }
        else
        {
            response.Add(page, new XElement(itemsNamespace + "EndOfSequence"));
        }
        return response;
    }

    private static XElement Instance(string ns, RecordedInstance instance)
    {
        XNamespace p = $"{P}/{ns}/{instance.Class}";
        var e = new XElement(p + instance.Class, new XAttribute(XNamespace.Xmlns + "cim", WsManNames.Cim), new XAttribute(XNamespace.Xmlns + "xsi", WsManNames.Xsi));
        foreach (var v in instance.Properties)
        {
            e.Add(Property(p, v));
        }
        return e;
    }

    private static IEnumerable<XElement> Property(XNamespace p, RecordedValue v)
    {
        XNamespace xsi = WsManNames.Xsi;
        if (v.Value.ValueKind == JsonValueKind.Null)
        {
            return [new XElement(p + v.Name, new XAttribute(xsi + "nil", "true"))];
        }
        var values = v.Value.ValueKind == JsonValueKind.Array ? v.Value.EnumerateArray().ToList() : [v.Value];
        return values.Select(x => v.ClrType switch
        {
            RecordedValueCodec.InstanceType or RecordedValueCodec.InstanceArrayType => Embedded(p, v.Name, x.Deserialize<RecordedInstance>(Core.AuditJson.Compact)!),
            "System.DateTime" or "System.DateTime[]" => new XElement(p + v.Name, new XElement(XName.Get("Datetime", WsManNames.Cim), Text(x))),
            _ when x.ValueKind == JsonValueKind.Null => new XElement(p + v.Name, new XAttribute(xsi + "nil", "true")),
            _ => new XElement(p + v.Name, Text(x)),
        });
    }

    private static XElement Embedded(XNamespace p, string name, RecordedInstance instance)
    {
        XNamespace xsi = WsManNames.Xsi;
        var e = new XElement(p + name, new XAttribute(xsi + "type", $"p2:{instance.Class}_Type"), new XAttribute(XNamespace.Xmlns + "p2", $"{P}/root/{instance.Class}"));
        foreach (var v in instance.Properties)
        {
            e.Add(Property(p, v));
        }
        return e;
    }

    private static string Text(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => v.GetRawText(),
    };

    private static (int, XDocument) Fault(RecordedFault fault)
    {
        var data = (fault.ErrorData ?? []).ToDictionary(d => d.Name, d => d.Value.ValueKind == JsonValueKind.Null ? null : Text(d.Value), StringComparer.OrdinalIgnoreCase);
        var code = data.TryGetValue("error_Code", out var c) && uint.TryParse(c, CultureInfo.InvariantCulture, out var u) ? u : 0u;
        var subcode = fault.NativeErrorCode == 2 ? "w:AccessDenied" : "w:InternalError";
        return Fault(subcode, code, fault.NativeErrorCode ?? 1, fault.Message, data);
    }

    private static (int, XDocument) Fault(string subcode, uint code, int cimStatus, string message, Dictionary<string, string?>? data = null)
    {
        XNamespace f = WsManNames.Fault;
        XNamespace wmi = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/MSFT_WmiError";
        var error = new XElement(wmi + "MSFT_WmiError", new XElement(wmi + "CIMStatusCode", cimStatus.ToString(CultureInfo.InvariantCulture)), new XElement(wmi + "Message", message));
        foreach (var (name, value) in data ?? [])
        {
            if (!name.Equals("CIMStatusCode", StringComparison.OrdinalIgnoreCase) && !name.Equals("Message", StringComparison.OrdinalIgnoreCase))
            {
                error.Add(value is null ? new XElement(wmi + name, new XAttribute(XName.Get("nil", WsManNames.Xsi), "true")) : new XElement(wmi + name, value));
            }
        }
        var fault = new XElement(S + "Fault",
            new XElement(S + "Code", new XElement(S + "Value", "s:Receiver"), new XElement(S + "Subcode", new XElement(S + "Value", subcode))),
            new XElement(S + "Reason", new XElement(S + "Text", new XAttribute(XNamespace.Xml + "lang", "en-US"), message)),
            new XElement(S + "Detail",
                new XElement(f + "WSManFault", new XAttribute("Code", code.ToString(CultureInfo.InvariantCulture)), new XAttribute("Machine", "standin"),
                    new XElement(f + "Message", new XElement(f + "ProviderFault", new XAttribute("provider", "WMI Provider"), error)))));
        return (500, Envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", fault));
    }

    private static XDocument Envelope(string? action, XElement? content) =>
        new(new XElement(S + "Envelope",
            new XAttribute(XNamespace.Xmlns + "s", WsManNames.Soap), new XAttribute(XNamespace.Xmlns + "a", WsManNames.Addressing),
            new XAttribute(XNamespace.Xmlns + "n", WsManNames.Enumeration), new XAttribute(XNamespace.Xmlns + "w", WsManNames.WsMan),
            new XElement(S + "Header", action is null ? null : new XElement(A + "Action", action), new XElement(A + "MessageID", "uuid:" + Guid.NewGuid())),
            new XElement(S + "Body", content)));

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        foreach (var s in _sealers.Values)
        {
            s.Dispose();
        }
        _sealers.Clear();
    }

    /// <summary>A private CA and a server certificate for localhost / 127.0.0.1 signed by it (made per test, nothing installed).</summary>
    public static (X509Certificate2 Ca, X509Certificate2 Server) Certificates()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Audit test WinRM CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(6), [1, 2, 3, 4]);
        using var withKey = signed.CopyWithPrivateKey(key);
        // Kestrel on Linux wants an exportable key: round-trip through PKCS#12.
        var server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return (ca, server);
    }
}

/// <summary>
/// A stand-in started for one test: its own private CA and server certificate, the CA written as ca.pem into a
/// temporary folder of its own; all of it stopped and removed on dispose.
/// </summary>
public sealed class WinRmLab : IAsyncDisposable
{
    private readonly X509Certificate2 _ca;
    private readonly X509Certificate2 _server;

    private WinRmLab(X509Certificate2 ca, X509Certificate2 server, WinRmStandIn standIn)
    {
        _ca = ca;
        _server = server;
        StandIn = standIn;
        File.WriteAllText(CaFile, ca.ExportCertificatePem());
    }

    public Audit.Tests.Common.TempDir Dir { get; } = new();
    public string CaFile => Dir.File("ca.pem");
    public WinRmStandIn StandIn { get; }
    public int Port => StandIn.Port;

    public static async Task<WinRmLab> StartAsync(CimRecordingDocument recording, string user, string password, bool acceptNegotiate = false, TimeSpan latency = default, bool plainHttp = false)
    {
        var (ca, server) = WinRmStandIn.Certificates();
        var lab = new WinRmLab(ca, server, new WinRmStandIn(recording, user, password) { AcceptNegotiate = acceptNegotiate, Latency = latency });
        try
        {
            await lab.StandIn.StartAsync(plainHttp ? null : server);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StandIn.DisposeAsync();
        _server.Dispose();
        _ca.Dispose();
        Dir.Dispose();
    }
}
