using System.Text;
using System.Text.Json;

namespace Audit.Core.Schema;

/// <summary>
/// Start positions (1-based line and column) of every value in a JSON document, by path (<c>rules[3].assert</c>),
/// so loaders can point diagnostics at the exact place, including inside an expression string.
/// </summary>
public sealed class JsonPositionIndex
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly byte[] _utf8;
    private readonly List<int> _lineStarts = [0];

    private readonly record struct Entry(long Offset, int RawLength, bool IsString);

    private JsonPositionIndex(byte[] utf8)
    {
        _utf8 = utf8;
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    private sealed class Frame(bool isArray, string path)
    {
        public bool IsArray { get; } = isArray;
        public string Path { get; } = path;
        public int Index { get; set; }
        public string? Property { get; set; }
    }

    /// <summary>Builds the index; the document must already be known to be valid JSON.</summary>
    public static JsonPositionIndex Build(byte[] utf8)
    {
        var index = new JsonPositionIndex(utf8);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 256 });
        var stack = new List<Frame>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    stack[^1].Property = reader.GetString();
                    continue;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    stack.RemoveAt(stack.Count - 1);
                    continue;
                default:
                    break;
            }

            string path;
            if (stack.Count == 0)
            {
                path = "";
            }
            else if (stack[^1].IsArray)
            {
                var top = stack[^1];
                path = $"{top.Path}[{top.Index}]";
                top.Index++;
            }
            else
            {
                var top = stack[^1];
                path = top.Path.Length == 0 ? top.Property ?? "" : $"{top.Path}.{top.Property}";
            }

            var isString = reader.TokenType == JsonTokenType.String;
            var raw = isString ? (reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length) : 0;
            index._entries[path] = new Entry(reader.TokenStartIndex, raw, isString);

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                stack.Add(new Frame(reader.TokenType == JsonTokenType.StartArray, path));
            }
        }
        return index;
    }

    /// <summary>Position of the value at <paramref name="path"/>, or of its nearest parent that has one.</summary>
    public (int Line, int Column) Position(string path)
    {
        var p = path;
        while (true)
        {
            if (_entries.TryGetValue(p, out var e))
            {
                return ToLineColumn(e.Offset);
            }
            var cut = Math.Max(p.LastIndexOf('.'), p.LastIndexOf('['));
            if (cut <= 0)
            {
                return _entries.TryGetValue("", out var root) ? ToLineColumn(root.Offset) : (1, 1);
            }
            p = p[..cut];
        }
    }

    /// <summary>Position of character <paramref name="charOffset"/> of the (unescaped) string value at <paramref name="path"/>.</summary>
    public (int Line, int Column) PositionInString(string path, int charOffset)
    {
        if (!_entries.TryGetValue(path, out var e) || !e.IsString)
        {
            return Position(path);
        }
        // Walk the raw (escaped) bytes after the opening quote, counting unescaped characters.
        var start = (int)e.Offset + 1;
        var end = start + e.RawLength;
        var i = start;
        var seen = 0;
        while (i < end && seen < charOffset)
        {
            if (_utf8[i] == (byte)'\\')
            {
                i += _utf8[i + 1] == (byte)'u' ? 6 : 2;
            }
            else
            {
                i += Utf8SequenceLength(_utf8[i]);
            }
            seen++;
        }
        return ToLineColumn(i);
    }

    private static int Utf8SequenceLength(byte b) => b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;

    private (int Line, int Column) ToLineColumn(long offset)
    {
        var idx = _lineStarts.BinarySearch((int)offset);
        var line = idx >= 0 ? idx : ~idx - 1;
        var lineStart = _lineStarts[line];
        var col = Encoding.UTF8.GetCharCount(_utf8, lineStart, (int)offset - lineStart) + 1;
        return (line + 1, col);
    }

    /// <summary>Line and column of a byte offset (for reader errors that report offsets).</summary>
    public static (int Line, int Column) LineColumnOf(byte[] utf8, long offset)
    {
        var line = 1;
        var lineStart = 0;
        var end = (int)Math.Min(offset, utf8.Length);
        for (var i = 0; i < end; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return (line, Encoding.UTF8.GetCharCount(utf8, lineStart, end - lineStart) + 1);
    }
}
