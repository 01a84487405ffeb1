using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Audit.Collectors.Directory;

/// <summary>Binary security identifiers (objectSid, SIDs inside ACEs) to their S-1-5-... text, on any platform.</summary>
internal static class SidReader
{
    private const int HeaderLength = 8;

    /// <summary>Reads a SID at the start of <paramref name="data"/>; returns null when the bytes are not a well-formed SID.</summary>
    public static string? TryRead(ReadOnlySpan<byte> data, out int length)
    {
        length = 0;
        if (data.Length < HeaderLength || data[0] != 1)
        {
            return null;
        }
        int count = data[1];
        if (count > 15 || data.Length < HeaderLength + (4 * count))
        {
            return null;
        }
        ulong authority = 0;
        for (var i = 2; i < 8; i++)
        {
            authority = (authority << 8) | data[i];
        }
        var b = new StringBuilder("S-1-");
        b.Append(authority.ToString(CultureInfo.InvariantCulture));
        for (var i = 0; i < count; i++)
        {
            var sub = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(HeaderLength + (4 * i), 4));
            b.Append('-').Append(sub.ToString(CultureInfo.InvariantCulture));
        }
        length = HeaderLength + (4 * count);
        return b.ToString();
    }

    public static string? TryRead(ReadOnlySpan<byte> data) => TryRead(data, out var length) is { } sid && length == data.Length ? sid : null;
}
