using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Audit.Collectors.Cim;

// What lives here: a WS-Management client (DMTF DSP0226 / DSP0227 / DSP0230, Microsoft MS-WSMV) behind our
// ICimSession seam: Identify, Enumerate / Pull / Release with WQL, method invocation, SOAP faults classified by the
// same CimErrorClassifier as MI. Depends on Audit.Collectors.Cim (the seam, records, errors); nothing depends on it but
// the CLI and the tests.
namespace Audit.Collectors.WsMan;

/// <summary>The namespaces and URIs of the WS-Management messages we send and read.</summary>
public static class WsManNames
{
    public const string Soap = "http://www.w3.org/2003/05/soap-envelope";
    public const string Addressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
    public const string Enumeration = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
    public const string WsMan = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
    public const string MsWsMan = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd";
    public const string Identity = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd";
    public const string Fault = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault";
    public const string Cim = "http://schemas.dmtf.org/wbem/wscim/1/common";
    public const string Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    public const string Anonymous = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
    public const string Wql = "http://schemas.microsoft.com/wbem/wsman/1/WQL";
    public const string EnumerateAction = Enumeration + "/Enumerate";
    public const string PullAction = Enumeration + "/Pull";
    public const string ReleaseAction = Enumeration + "/Release";
    public const string WmiPrefix = "http://schemas.microsoft.com/wbem/wsman/1/wmi/";
    public const string NamespaceSelector = "__cimnamespace";

    /// <summary>WinRM's resource URI for a WMI namespace (all classes, for WQL) or one class: .../wmi/root/cimv2/* or .../wmi/root/default/StdRegProv.</summary>
    public static string ResourceUri(string cimNamespace, string? className = null) =>
        WmiPrefix + cimNamespace.Trim('/').Replace('\\', '/') + "/" + (className ?? "*");
}

/// <summary>Builds the SOAP envelopes of our requests (XmlWriter: every value escaped).</summary>
public static class WsManRequest
{
    public const int MaxEnvelopeSize = 512000;
    public const int MaxElements = 32000;

    public static string Identify() =>
        $"<s:Envelope xmlns:s=\"{WsManNames.Soap}\" xmlns:wsmid=\"{WsManNames.Identity}\"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>";

    public static string Enumerate(Uri to, string cimNamespace, string wql, TimeSpan timeout) =>
        Envelope(to, WsManNames.ResourceUri(cimNamespace), WsManNames.EnumerateAction, timeout, cimNamespace, null, w =>
        {
            w.WriteStartElement("n", "Enumerate", WsManNames.Enumeration);
            w.WriteElementString("w", "OptimizeEnumeration", WsManNames.WsMan, "");
            w.WriteElementString("w", "MaxElements", WsManNames.WsMan, MaxElements.ToString(CultureInfo.InvariantCulture));
            w.WriteStartElement("w", "Filter", WsManNames.WsMan);
            w.WriteAttributeString("Dialect", WsManNames.Wql);
            w.WriteString(wql);
            w.WriteEndElement();
            w.WriteEndElement();
        });

    public static string Pull(Uri to, string cimNamespace, string context, TimeSpan timeout) =>
        Envelope(to, WsManNames.ResourceUri(cimNamespace), WsManNames.PullAction, timeout, cimNamespace, null, w =>
        {
            w.WriteStartElement("n", "Pull", WsManNames.Enumeration);
            w.WriteElementString("n", "EnumerationContext", WsManNames.Enumeration, context);
            w.WriteElementString("n", "MaxElements", WsManNames.Enumeration, MaxElements.ToString(CultureInfo.InvariantCulture));
            w.WriteEndElement();
        });

    public static string Release(Uri to, string cimNamespace, string context, TimeSpan timeout) =>
        Envelope(to, WsManNames.ResourceUri(cimNamespace), WsManNames.ReleaseAction, timeout, cimNamespace, null, w =>
        {
            w.WriteStartElement("n", "Release", WsManNames.Enumeration);
            w.WriteElementString("n", "EnumerationContext", WsManNames.Enumeration, context);
            w.WriteEndElement();
        });

    /// <summary>A method call (DSP0230 §8: METHOD_INPUT in the class's namespace); selectors for an instance method.</summary>
    public static string Invoke(Uri to, string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, IReadOnlyList<KeyValuePair<string, string>>? selectors, TimeSpan timeout)
    {
        var uri = WsManNames.ResourceUri(cimNamespace, className);
        return Envelope(to, uri, uri + "/" + method, timeout, cimNamespace, selectors, w =>
        {
            w.WriteStartElement("p", method + "_INPUT", uri);
            foreach (var (name, value) in arguments.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                foreach (var item in value is string or null ? [value] : value is System.Collections.IEnumerable e ? e.Cast<object?>() : [value])
                {
                    w.WriteStartElement("p", name, uri);
                    if (item is null)
                    {
                        w.WriteAttributeString("xsi", "nil", WsManNames.Xsi, "true");
                    }
                    else
                    {
                        w.WriteString(Text(item));
                    }
                    w.WriteEndElement();
                }
            }
            w.WriteEndElement();
        });
    }

    internal static string Text(object value) => value switch
    {
        bool b => b ? "true" : "false",
        DateTime d => d.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Envelope(Uri to, string resourceUri, string action, TimeSpan timeout, string cimNamespace, IReadOnlyList<KeyValuePair<string, string>>? selectors, Action<XmlWriter> body)
    {
        var sb = new StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { OmitXmlDeclaration = true, Encoding = Encoding.UTF8 }))
        {
            w.WriteStartElement("s", "Envelope", WsManNames.Soap);
            w.WriteAttributeString("xmlns", "a", null, WsManNames.Addressing);
            w.WriteAttributeString("xmlns", "n", null, WsManNames.Enumeration);
            w.WriteAttributeString("xmlns", "w", null, WsManNames.WsMan);
            w.WriteAttributeString("xmlns", "p", null, WsManNames.MsWsMan);
            w.WriteAttributeString("xmlns", "xsi", null, WsManNames.Xsi);
            w.WriteStartElement("s", "Header", WsManNames.Soap);
            w.WriteElementString("a", "To", WsManNames.Addressing, to.AbsoluteUri);
            MustUnderstand(w, "w", "ResourceURI", WsManNames.WsMan, resourceUri);
            w.WriteStartElement("a", "ReplyTo", WsManNames.Addressing);
            MustUnderstand(w, "a", "Address", WsManNames.Addressing, WsManNames.Anonymous);
            w.WriteEndElement();
            MustUnderstand(w, "a", "Action", WsManNames.Addressing, action);
            MustUnderstand(w, "w", "MaxEnvelopeSize", WsManNames.WsMan, MaxEnvelopeSize.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("a", "MessageID", WsManNames.Addressing, "uuid:" + Guid.NewGuid().ToString("D").ToUpperInvariant());
            Locale(w, "w", "Locale", WsManNames.WsMan);
            Locale(w, "p", "DataLocale", WsManNames.MsWsMan);
            w.WriteElementString("w", "OperationTimeout", WsManNames.WsMan, XmlConvert.ToString(timeout));
            w.WriteStartElement("w", "SelectorSet", WsManNames.WsMan);
            foreach (var (name, value) in (IEnumerable<KeyValuePair<string, string>>)[new(WsManNames.NamespaceSelector, cimNamespace), .. selectors ?? []])
            {
                w.WriteStartElement("w", "Selector", WsManNames.WsMan);
                w.WriteAttributeString("Name", name);
                w.WriteString(value);
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteStartElement("s", "Body", WsManNames.Soap);
            body(w);
            w.WriteEndElement();
            w.WriteEndElement();
        }
        return sb.ToString();
    }

    private static void MustUnderstand(XmlWriter w, string prefix, string name, string ns, string value)
    {
        w.WriteStartElement(prefix, name, ns);
        w.WriteAttributeString("s", "mustUnderstand", WsManNames.Soap, "true");
        w.WriteString(value);
        w.WriteEndElement();
    }

    private static void Locale(XmlWriter w, string prefix, string name, string ns)
    {
        w.WriteStartElement(prefix, name, ns);
        w.WriteAttributeString("xml", "lang", null, "en-US");
        w.WriteAttributeString("s", "mustUnderstand", WsManNames.Soap, "false");
        w.WriteEndElement();
    }
}

/// <summary>Reads WS-Management answers: instances (DSP0230 mapping of CIM to XML), method output, faults.</summary>
public static class WsManResponse
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = 256L << 20,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    public static XDocument Parse(string xml)
    {
        using var text = new StringReader(xml);
        using var reader = XmlReader.Create(text, Settings);
        return XDocument.Load(reader);
    }

    public static XElement Body(XDocument doc) =>
        doc.Root?.Element(XName.Get("Body", WsManNames.Soap)) ?? throw new CimException(CimErrorCode.Failed, "the answer is not a SOAP envelope");

    /// <summary>
    /// One instance: the element's local name is the class; each child a property (repeated: an array; xsi:nil: null;
    /// cim:Datetime / cim:Interval: their text; child elements: an embedded instance, class from xsi:type).
    /// Values arrive as text: WS-Management carries no CIM types, and our accessors convert.
    /// </summary>
    public static CimRecord Instance(XElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        var props = new List<KeyValuePair<string, object?>>();
        foreach (var group in element.Elements().GroupBy(e => e.Name.LocalName, StringComparer.Ordinal))
        {
            var values = group.Select(Value).ToList();
            object? value = values.Count == 1 ? values[0]
                : values.All(v => v is CimRecord) ? values.Cast<CimRecord>().ToArray()
                : values.Select(v => v as string).ToArray();
            props.Add(new(group.Key, value));
        }
        return new CimRecord(ClassOf(element), props);
    }

    private static object? Value(XElement e)
    {
        if ((string?)e.Attribute(XName.Get("nil", WsManNames.Xsi)) is "true")
        {
            return null;
        }
        var children = e.Elements().ToList();
        if (children.Count == 0)
        {
            return e.Value;
        }
        if (children.Count == 1 && children[0].Name.NamespaceName == WsManNames.Cim)
        {
            return children[0].Value; // cim:Datetime, cim:Interval, cim:Date, cim:Time
        }
        return Instance(e);
    }

    private static string ClassOf(XElement e)
    {
        var type = (string?)e.Attribute(XName.Get("type", WsManNames.Xsi));
        if (type is null)
        {
            return e.Name.LocalName;
        }
        var local = type[(type.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return local.EndsWith("_Type", StringComparison.Ordinal) ? local[..^"_Type".Length] : local;
    }

    /// <summary>
    /// A SOAP fault as the CIM layer would report it: CIMStatusCode (from an embedded MSFT_WmiError / CIM_Error) as the
    /// native code, else one from the WS-Management subcode; the WSManFault Code (an HRESULT, or a Win32 code made one)
    /// and every leaf of the embedded error as ErrorData, so the classifier reads the same codes as over MI.
    /// </summary>
    public static CimFault? Fault(XDocument doc)
    {
        var fault = doc.Root?.Element(XName.Get("Body", WsManNames.Soap))?.Element(XName.Get("Fault", WsManNames.Soap));
        if (fault is null)
        {
            return null;
        }
        var subcode = fault.Descendants(XName.Get("Subcode", WsManNames.Soap)).Elements(XName.Get("Value", WsManNames.Soap)).FirstOrDefault()?.Value.Trim() ?? "";
        var subcodeLocal = subcode[(subcode.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var reason = fault.Descendants(XName.Get("Text", WsManNames.Soap)).FirstOrDefault()?.Value.Trim();
        var wsmanFault = fault.Descendants(XName.Get("WSManFault", WsManNames.Fault)).LastOrDefault();
        // The text of a WSManFault's Message itself (its child elements, such as a ProviderFault, hold their own).
        var faultText = string.Concat(wsmanFault?.Element(XName.Get("Message", WsManNames.Fault))?.Nodes().OfType<XText>().Select(t => t.Value) ?? []).Trim();

        var data = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        string? dataClass = null;
        var error = fault.Descendants().FirstOrDefault(e => e.Elements().Any(c => c.Name.LocalName == "CIMStatusCode"));
        if (error is not null)
        {
            dataClass = error.Name.LocalName;
            foreach (var leaf in error.Elements().Where(c => !c.HasElements))
            {
                data[leaf.Name.LocalName] = (string?)leaf.Attribute(XName.Get("nil", WsManNames.Xsi)) is "true" ? null : leaf.Value;
            }
        }
        var message = data.TryGetValue("Message", out var em) && em is string { Length: > 0 } errorMessage ? errorMessage.Trim()
            : faultText.Length > 0 ? faultText
            : reason ?? subcodeLocal;
        if (!data.ContainsKey("error_Code") && uint.TryParse((string?)wsmanFault?.Attribute("Code"), NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code != 0)
        {
            data["error_Code"] = code < 0x10000 ? 0x80070000u | code : code; // a Win32 code as its HRESULT
            dataClass ??= "WSManFault";
        }
        int? native = error?.Element(error.Name.Namespace + "CIMStatusCode") is { } status && int.TryParse(status.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : subcodeLocal switch
            {
                "AccessDenied" => (int)CimErrorCode.AccessDenied,
                "InvalidSelectors" or "DestinationUnreachable" when data.Count == 0 => (int)CimErrorCode.NotFound,
                "ActionNotSupported" => (int)CimErrorCode.NotSupported,
                "QuotaLimit" or "ConcurrencyLimit" => (int)CimErrorCode.ServerLimitsExceeded,
                "CannotProcessFilter" => (int)CimErrorCode.InvalidQuery,
                _ => (int)CimErrorCode.Failed,
            };
        return new CimFault
        {
            NativeErrorCode = native,
            MessageId = subcode.Length == 0 ? null : subcode,
            Message = message,
            ErrorDataClass = dataClass,
            ErrorData = data,
            ExceptionType = "WS-Management SOAP fault",
        };
    }
}
