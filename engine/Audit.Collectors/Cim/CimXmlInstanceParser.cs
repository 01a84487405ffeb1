using System.Xml;

namespace Audit.Collectors.Cim;

/// <summary>
/// Parses one embedded CIM-XML instance (<c>&lt;INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem"&gt;&lt;PROPERTY NAME="Data" TYPE="string"&gt;&lt;VALUE&gt;...</c>),
/// as found in Msvm_KvpExchangeComponent.GuestIntrinsicExchangeItems and in the SettingData of
/// Msvm_ImageManagementService.GetVirtualHardDiskSettingData. Values are kept as strings (PROPERTY.ARRAY as string arrays);
/// no DTD, no external entities.
/// </summary>
public static class CimXmlInstanceParser
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        MaxCharactersInDocument = 1 << 20,
    };

    /// <summary>Returns null (not an exception) for text that is not one well-formed INSTANCE element.</summary>
    public static CimRecord? TryParse(string? xml)
    {
        if (string.IsNullOrWhiteSpace(xml))
        {
            return null;
        }
        try
        {
            using var text = new StringReader(xml);
            using var reader = XmlReader.Create(text, Settings);
            if (reader.MoveToContent() != XmlNodeType.Element || reader.Name != "INSTANCE")
            {
                return null;
            }
            var className = reader.GetAttribute("CLASSNAME") ?? "";
            var props = new List<KeyValuePair<string, object?>>();
            if (reader.IsEmptyElement)
            {
                return new CimRecord(className, props);
            }
            var depth = reader.Depth;
            while (reader.Read() && !(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth))
            {
                if (reader.NodeType != XmlNodeType.Element || reader.Depth != depth + 1)
                {
                    continue;
                }
                var name = reader.GetAttribute("NAME");
                if (name is null)
                {
                    continue;
                }
                if (reader.Name == "PROPERTY")
                {
                    props.Add(new(name, ReadValues(reader).FirstOrNull()));
                }
                else if (reader.Name == "PROPERTY.ARRAY")
                {
                    props.Add(new(name, ReadValues(reader).ToArray()));
                }
            }
            return new CimRecord(className, props);
        }
        catch (XmlException)
        {
            return null;
        }
    }

    /// <summary>The VALUE texts under the current PROPERTY element; leaves the reader on its end.</summary>
    private static List<string> ReadValues(XmlReader reader)
    {
        var values = new List<string>();
        if (reader.IsEmptyElement)
        {
            return values;
        }
        var depth = reader.Depth;
        reader.Read();
        while (!reader.EOF && !(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth))
        {
            if (reader.NodeType == XmlNodeType.Element && reader.Name == "VALUE")
            {
                // ReadElementContentAsString leaves the reader on the node after the element.
                values.Add(reader.IsEmptyElement ? ReadEmpty(reader) : reader.ReadElementContentAsString());
            }
            else
            {
                reader.Read();
            }
        }
        return values;
    }

    private static string ReadEmpty(XmlReader reader)
    {
        reader.Read();
        return "";
    }
}
