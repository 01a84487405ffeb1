using System.Buffers;
using System.Text;

namespace Audit.Reports;

/// <summary>
/// The small part of XmlWriter that JUnit output needs (elements, attributes, text; indented like XmlWriter with
/// Indent = true and "\n" newlines), with escaping done by a vectorised scan instead of a character-by-character
/// loop: XmlWriter spent most of the JUnit time escaping 46 MiB of evidence. Callers pass text already made
/// XML-safe by <see cref="TextSanitizer"/> (no controls but newline and tab, no lone surrogates, no U+FFFE/U+FFFF);
/// markup characters are escaped here, so a value can never open or close an element.
/// </summary>
internal sealed class XmlOut : IDisposable
{
    private static readonly SearchValues<char> TextSpecials = SearchValues.Create("<>&\r");
    private static readonly SearchValues<char> AttributeSpecials = SearchValues.Create("<>&\"\n\r\t");

    private readonly StreamWriter _w;
    private readonly List<(string Name, bool Children, bool Text)> _open = [];
    private bool _startTagOpen;

    public XmlOut(Stream output)
    {
        _w = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        _w.Write("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    }

    public void StartElement(string name)
    {
        var parentHasText = false;
        if (_open.Count > 0)
        {
            CloseStartTag();
            var p = _open[^1];
            _open[^1] = p with { Children = true };
            parentHasText = p.Text;
        }
        if (!parentHasText)
        {
            _w.Write('\n');
            Indent(_open.Count);
        }
        _w.Write('<');
        _w.Write(name);
        _open.Add((name, false, false));
        _startTagOpen = true;
    }

    public void Attribute(string name, string value)
    {
        _w.Write(' ');
        _w.Write(name);
        _w.Write("=\"");
        Escape(value, AttributeSpecials);
        _w.Write('"');
    }

    /// <summary>Element text; an empty string adds nothing (the element may still close as <c>&lt;x /&gt;</c>, as XmlWriter writes it).</summary>
    public void Text(string value)
    {
        if (value.Length == 0)
        {
            return;
        }
        CloseStartTag();
        _open[^1] = _open[^1] with { Text = true };
        Escape(value, TextSpecials);
    }

    public void EndElement()
    {
        var (name, children, text) = _open[^1];
        _open.RemoveAt(_open.Count - 1);
        if (_startTagOpen)
        {
            _w.Write(" />");
            _startTagOpen = false;
            return;
        }
        if (children && !text)
        {
            _w.Write('\n');
            Indent(_open.Count);
        }
        _w.Write("</");
        _w.Write(name);
        _w.Write('>');
    }

    public void ElementString(string name, string value)
    {
        StartElement(name);
        Text(value);
        EndElement();
    }

    public void Dispose()
    {
        while (_open.Count > 0)
        {
            EndElement();
        }
        _w.Dispose();
    }

    private void CloseStartTag()
    {
        if (_startTagOpen)
        {
            _w.Write('>');
            _startTagOpen = false;
        }
    }

    private void Indent(int depth)
    {
        for (var i = 0; i < depth; i++)
        {
            _w.Write("  ");
        }
    }

    private void Escape(string value, SearchValues<char> specials)
    {
        var rest = value.AsSpan();
        while (true)
        {
            var i = rest.IndexOfAny(specials);
            if (i < 0)
            {
                _w.Write(rest);
                return;
            }
            _w.Write(rest[..i]);
            _w.Write(rest[i] switch
            {
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                '"' => "&quot;",
                '\n' => "&#xA;",
                '\r' => specials == TextSpecials ? "\n" : "&#xD;",
                _ => "&#x9;",
            });
            rest = rest[(i + 1)..];
        }
    }
}
